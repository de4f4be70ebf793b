// Serialise entries exactly as Decap CMS writes them, with its own formatters
// (decap-cms-core/dist/esm/formats/, the npm package pinned in package-lock.json).
// stdin: JSON [{format: "frontmatter" | "yaml", data, sortedKeys}]; stdout: JSON [file text].
import { register } from "node:module";

register("./decap-esm-hooks.mjs", import.meta.url);
const { frontmatterYAML } = await import("decap-cms-core/dist/esm/formats/frontmatter.js");
const { default: yamlFormatter } = await import("decap-cms-core/dist/esm/formats/yaml.js");

let input = "";
for await (const chunk of process.stdin) input += chunk;
const frontmatter = frontmatterYAML();
const files = JSON.parse(input).map(({ format, data, sortedKeys }) =>
  (format === "yaml" ? yamlFormatter : frontmatter).toFile(data, sortedKeys),
);
process.stdout.write(JSON.stringify(files));
