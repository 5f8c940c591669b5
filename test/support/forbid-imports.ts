// Proof that a process never loads a module: an --import preload that makes both import() and
// require() of the given package prefixes throw "forbidden import <name>". The driver loads the AWS
// SDK with require() (src/aws/sdk.ts), which a resolve hook alone would not see.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/** Writes the preload into dir and returns its URL, for `node --import URL`. */
export function forbidImportsPreload(dir: string, name: string, prefixes: string[]): string {
  const forbidden = JSON.stringify(prefixes);
  const hooks = join(dir, `forbid-${name}-hooks.mjs`);
  writeFileSync(
    hooks,
    `const forbidden = ${forbidden};
    export async function resolve(specifier, context, next) {
      if (forbidden.some((prefix) => specifier.startsWith(prefix))) throw new Error("forbidden import " + specifier);
      return next(specifier, context);
    }\n`,
  );
  const preload = join(dir, `forbid-${name}.mjs`);
  writeFileSync(
    preload,
    `import Module, { register } from "node:module";
    const forbidden = ${forbidden};
    register(${JSON.stringify(pathToFileURL(hooks).href)});
    const load = Module._load;
    Module._load = function (request, ...rest) {
      if (forbidden.some((prefix) => request.startsWith(prefix))) throw new Error("forbidden import " + request);
      return load.call(this, request, ...rest);
    };\n`,
  );
  return pathToFileURL(preload).href;
}
