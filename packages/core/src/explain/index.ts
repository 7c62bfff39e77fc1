export { type ElfInfo, readAtBytes, readElf } from "./elf.js";
export { type ExplainImageOptions, explainImage } from "./image.js";
export { judgeFile, type KernelView, targetOfHeader } from "./judge.js";
export { type ExplainFilesOptions, explainFiles } from "./local.js";
export type {
  ClaimingEntry,
  Explanation,
  FileExplanation,
  FileProblem,
  Handler,
  ImageFacts,
  RunsAnswer,
  Verdict,
} from "./model.js";
export { isFileProblem } from "./model.js";
export { explanationExitCode, renderExplanation } from "./render.js";
