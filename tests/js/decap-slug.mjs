// Name uploaded files exactly as Decap CMS does (decap-cms-core's sanitizeSlug of the lower-cased
// name, actions/mediaLibrary.ts), with the slug options given.
// stdin: JSON {options, names}; stdout: JSON [file name].
import { register } from "node:module";

register("./decap-esm-hooks.mjs", import.meta.url);
const { sanitizeSlug } = await import("decap-cms-core/dist/esm/lib/urlHelper.js");

let input = "";
for await (const chunk of process.stdin) input += chunk;
const { options, names } = JSON.parse(input);
process.stdout.write(JSON.stringify(names.map((name) => sanitizeSlug(name.toLowerCase(), options))));
