// Loaded by `qus explain` only: the ELF reader and the image explainer are a large part of qus, which no other
// command needs at start-up (tools/bench: every module loaded costs each `qus` run).
export { explainFiles, explainImage, renderExplanation } from "@qus/core";
export { explanationExitCode } from "@qus/core/toolkit";
