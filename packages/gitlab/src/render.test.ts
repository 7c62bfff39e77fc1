import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { defaultOptions, packageVersion } from "./options.js";
import { COMPONENT_PATH, integrityOf, renderComponent } from "./render.js";

const HOSTILE = `a'b"c$(touch pwned)\`touch pwned2\`#: &x *y {z} [w] %v @u | > ! $HOME`;
const TEMPLATES = new URL("../templates/", import.meta.url);

const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

/** GitLab's text interpolation: each `$[[ inputs.NAME ]]` replaced by the value's text (arrays as JSON). */
function interpolate(component: string, inputs: Record<string, string | readonly string[]>): string {
  const [, body] = component.split("\n---\n");
  return (body ?? "").replace(/\$\[\[ inputs\.([a-z-]+) \]\]/g, (_, name: string) => {
    const value = inputs[name];
    if (value === undefined) throw new Error(`no input ${name}`);
    return typeof value === "string" ? value : JSON.stringify(value);
  });
}

type Job = {
  image: { name: string };
  services: { name: string; alias: string }[];
  variables: Record<string, { value: string; expand: boolean } | string>;
  before_script: string[];
  script: string[];
  stage?: string;
  extends?: string;
  artifacts: { when: string; reports: { junit: string; dotenv: string }; paths: string[] };
};

const defaults = {
  platforms: ["linux/arm64", "linux/riscv64"],
  stage: "test",
  "job-prefix": "qus",
  mode: "ensure",
  image: "docker:28",
  "dind-image": "docker:28-dind",
  qus: "npx --yes @qus/cli@0.1.0",
};

describe("renderComponent", () => {
  it("has GitLab's spec:inputs header, with every input, its type, options and defaults", () => {
    const [header] = renderComponent().split("\n---\n");
    const spec = parse(header ?? "") as { spec: { inputs: Record<string, Record<string, unknown>> } };
    const inputs = spec.spec.inputs;
    expect(Object.keys(inputs)).toEqual(["platforms", "stage", "job-prefix", "mode", "image", "dind-image", "qus"]);
    expect(inputs.platforms).toMatchObject({ type: "array", default: ["linux/arm64", "linux/riscv64"] });
    expect(inputs.mode).toMatchObject({ default: "ensure", options: ["ensure", "buildx", "verify"] });
    expect(inputs.qus?.default).toBe(`npx --yes @qus/cli@${packageVersion()}`);
    expect(new RegExp(inputs["job-prefix"]?.regex as string).test("qus")).toBe(true);
    expect(new RegExp(inputs["job-prefix"]?.regex as string).test(HOSTILE)).toBe(false);
    for (const input of Object.values(inputs)) expect(input.description).toEqual(expect.any(String));
  });

  it("takes the defaults from the options, quoted", () => {
    const [header] = renderComponent({ platforms: [HOSTILE], stage: HOSTILE, image: HOSTILE }).split("\n---\n");
    const inputs = (parse(header ?? "") as { spec: { inputs: Record<string, { default: unknown }> } }).spec.inputs;
    expect(inputs.platforms?.default).toEqual([HOSTILE]);
    expect(inputs.stage?.default).toBe(HOSTILE);
    expect(inputs.image?.default).toBe(HOSTILE);
  });

  it("defines a hidden .qus-ensure and the visible qus-ensure job, and nothing global", () => {
    const config = parse(interpolate(renderComponent(), defaults)) as Record<string, Job>;
    expect(Object.keys(config)).toEqual([".qus-ensure", "qus-ensure"]);
    const hidden = config[".qus-ensure"] as Job;
    expect(hidden.image.name).toBe("docker:28");
    expect(hidden.services).toEqual([{ name: "docker:28-dind", alias: "docker" }]);
    expect(hidden.artifacts).toEqual({
      when: "always",
      paths: ["qus-report/"],
      reports: { junit: "qus-report/junit.xml", dotenv: "qus-report/qus.env" },
    });
    expect(config["qus-ensure"]).toMatchObject({ extends: ".qus-ensure", stage: "test" });
    for (const keyword of ["default", "variables", "stages", "workflow", "image", "services", "before_script"]) {
      expect(config).not.toHaveProperty(keyword);
    }
  });

  it.each(["platforms", "stage", "job-prefix", "mode", "image", "dind-image", "qus"])(
    "a hostile %s stays one YAML value, unexpanded",
    (name) => {
      const value = name === "platforms" ? [HOSTILE, "linux/arm64"] : HOSTILE;
      const config = parse(interpolate(renderComponent(), { ...defaults, [name]: value })) as Record<string, Job>;
      const prefix = name === "job-prefix" ? HOSTILE : "qus";
      const mode = name === "mode" ? HOSTILE : "ensure";
      expect(Object.keys(config)).toEqual([`.${prefix}-ensure`, `${prefix}-${mode}`]);
      const hidden = config[`.${prefix}-ensure`] as Job;
      const variable = (key: string) => hidden.variables[key] as { value: string; expand: boolean };
      expect(variable("QUS_INPUT_PLATFORMS")).toEqual({
        value: JSON.stringify(name === "platforms" ? value : defaults.platforms),
        expand: false,
      });
      expect(variable("QUS_INPUT_MODE")).toEqual({ value: mode, expand: false });
      expect(variable("QUS_COMMAND")).toEqual({ value: name === "qus" ? HOSTILE : defaults.qus, expand: false });
      expect(hidden.image.name).toBe(name === "image" ? HOSTILE : "docker:28");
      expect(hidden.services[0]?.name).toBe(name === "dind-image" ? HOSTILE : "docker:28-dind");
      const visible = config[`${prefix}-${mode}`] as Job;
      expect(visible.stage).toBe(name === "stage" ? HOSTILE : "test");
      expect(visible.extends).toBe(`.${prefix}-ensure`);
      // Inputs reach the shell only through variables: the script is the same whatever they are.
      expect(hidden.before_script).toEqual(
        (parse(interpolate(renderComponent(), defaults)) as Record<string, Job>)[".qus-ensure"]?.before_script,
      );
    },
  );

  it("rejects options that cannot be rendered safely", () => {
    expect(() => renderComponent({ jobPrefix: "a b" })).toThrow(/job-prefix/);
    expect(() => renderComponent({ stage: "a\nb" })).toThrow(/stage/);
    expect(() => renderComponent({ platforms: [] })).toThrow(/platforms/);
    expect(() => renderComponent({ mode: "install" as never })).toThrow(/mode/);
  });
});

describe("one file for both ways of including it", () => {
  it("an include: remote of the component with hostile inputs: values stay as they are, no globals", () => {
    const inputs = { ...defaults, platforms: [HOSTILE], stage: HOSTILE, qus: HOSTILE, image: HOSTILE };
    const config = parse(interpolate(renderComponent(), inputs)) as Record<string, Job>;
    expect(Object.keys(config)).toEqual([".qus-ensure", "qus-ensure"]);
    const hidden = config[".qus-ensure"] as Job;
    expect(hidden.variables.QUS_INPUT_PLATFORMS).toEqual({ value: JSON.stringify([HOSTILE]), expand: false });
    expect(hidden.variables.QUS_COMMAND).toEqual({ value: HOSTILE, expand: false });
    expect(hidden.image.name).toBe(HOSTILE);
    expect(config["qus-ensure"]?.stage).toBe(HOSTILE);
  });
});

describe("the job's script, run by sh", () => {
  /** Runs the component's before_script with a stub qus that records its arguments, then runs `stub`. */
  function runScript(env: Record<string, string>, stub: string) {
    const dir = mkdtempSync(join(tmpdir(), "qus-gitlab-script-"));
    folders.push(dir);
    const qus = join(dir, "qus-stub");
    writeFileSync(qus, `#!/bin/sh\nprintf '%s\\n' "$@" > ./args\n${stub}\n`);
    chmodSync(qus, 0o755);
    const config = parse(interpolate(renderComponent(), defaults)) as Record<string, Job>;
    const script = config[".qus-ensure"]?.before_script[0] ?? "";
    const result = spawnSync("sh", ["-c", script], {
      cwd: dir,
      encoding: "utf8",
      timeout: 60_000,
      env: {
        PATH: process.env.PATH ?? "",
        DOCKER_HOST: "unix:///nonexistent.sock",
        QUS_INPUT_MODE: "verify",
        QUS_COMMAND: `${qus} --first *`,
        ...env,
      },
    });
    const read = (file: string) => (existsSync(join(dir, file)) ? readFileSync(join(dir, file), "utf8") : undefined);
    return { ...result, read };
  }

  it("passes a hostile platform as one argument, runs nothing from it, and names it in the JUnit file when qus fails", () => {
    const run = runScript({ QUS_INPUT_PLATFORMS: JSON.stringify([HOSTILE, "linux/arm64"]) }, "exit 2");
    expect(run.read("pwned")).toBeUndefined();
    expect(run.read("pwned2")).toBeUndefined();
    expect(run.status).toBe(2);
    // The qus input split on blanks, unglobbed; then the mode's command; the platforms as one argument.
    const platforms = `${JSON.stringify(HOSTILE).replace(/[[\]" ]/g, "")},linux/arm64`;
    expect(run.read("args")?.split("\n")).toEqual([
      "--first",
      "*",
      "verify",
      "--driver",
      "docker",
      "--platforms",
      platforms,
      "--json",
      "--junit",
      "qus-report/junit.xml",
      "",
    ]);
    const junit = run.read("qus-report/junit.xml") ?? "";
    expect(junit).toContain('name="linux/arm64"');
    expect(junit).toContain("&amp;x");
    expect(junit).not.toContain('$(touch pwned)"');
    expect(junit).toContain('<failure type="exit-2"');
    expect(run.read("qus-report/qus.env")).toBe("QUS_PLATFORMS=\n");
    expect(run.stderr).toContain("qus: failed (exit 2)");
  });

  it("a report: prints each platform and writes QUS_PLATFORMS with those that passed", () => {
    const report = {
      platforms: [
        { platform: "linux/arm64", ok: true },
        { platform: "linux/s390x", ok: false, verification: "exec format error", hint: "run qus ensure" },
      ],
    };
    const run = runScript(
      { QUS_INPUT_PLATFORMS: '["linux/arm64", "linux/s390x"]' },
      `printf '%s' '${JSON.stringify(report)}'\nprintf '<testsuites/>' > qus-report/junit.xml\nexit 1`,
    );
    expect(run.status).toBe(1);
    expect(run.stdout).toContain("qus: linux/arm64: ok");
    expect(run.stdout).toContain("qus: linux/s390x: FAILED: exec format error\nhint: run qus ensure");
    expect(run.read("qus-report/qus.env")).toBe("QUS_PLATFORMS=linux/arm64\n");
    expect(run.read("qus-report/junit.xml")).toBe("<testsuites/>");
  });

  it("qus's JSON error document (no platforms in it): its error printed, no crash, the dotenv empty, qus's exit code", () => {
    const error = {
      schemaVersion: 1,
      ok: false,
      exitCode: 3,
      error: { code: "QUS_ENGINE_UNREACHABLE", message: "no engine", hint: "start dockerd" },
    };
    const run = runScript({ QUS_INPUT_PLATFORMS: '["linux/arm64"]' }, `printf '%s' '${JSON.stringify(error)}'\nexit 3`);
    expect(run.status).toBe(3);
    expect(run.stdout).toContain("qus: error QUS_ENGINE_UNREACHABLE: no engine\nhint: start dockerd");
    expect(run.stderr).not.toMatch(/TypeError/);
    expect(run.read("qus-report/qus.env")).toBe("QUS_PLATFORMS=\n");
  });

  it("an unknown mode fails before qus runs, with a JUnit file", () => {
    const run = runScript({ QUS_INPUT_PLATFORMS: '["linux/arm64"]', QUS_INPUT_MODE: "install" }, "exit 0");
    expect(run.status).toBe(2);
    expect(run.read("args")).toBeUndefined();
    expect(run.read("qus-report/junit.xml")).toContain('name="linux/arm64"');
  });
});

describe("integrityOf", () => {
  it("is GitLab's format and matches openssl dgst -sha256 -binary | base64", () => {
    const text = renderComponent();
    const openssl = spawnSync("sh", ["-c", "openssl dgst -sha256 -binary | base64"], {
      input: text,
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(openssl.status).toBe(0);
    expect(integrityOf(text)).toBe(`sha256-${openssl.stdout.trim()}`);
    expect(integrityOf(text)).toMatch(/^sha256-[A-Za-z0-9+/]{43}=$/);
    expect(integrityOf(Buffer.from(text))).toBe(integrityOf(text));
  });
});

describe("the committed templates", () => {
  it("are what the generator makes with the defaults (run `npm run templates` after a change)", () => {
    const component = renderComponent();
    // The repository is itself the component project: GitLab reads templates/ at its root.
    expect(readFileSync(new URL("../../../templates/qus.yml", import.meta.url), "utf8")).toBe(component);
    expect(readFileSync(new URL(COMPONENT_PATH.replace("templates/", ""), TEMPLATES), "utf8")).toBe(component);
    // The file to host for include: remote is the same bytes, with its integrity value beside it.
    expect(readFileSync(new URL("remote/qus.yml", TEMPLATES), "utf8")).toBe(component);
    expect(readFileSync(new URL("remote/qus.yml.integrity", TEMPLATES), "utf8")).toBe(`${integrityOf(component)}\n`);
    expect(defaultOptions().qus).toBe(`npx --yes @qus/cli@${packageVersion()}`);
  });
});
