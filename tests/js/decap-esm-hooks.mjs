// Node module hooks to run Decap's own published ES modules (decap-cms-core/dist/esm) as
// they are: they import "./helpers" without ".js" and their package does not declare
// "type": "module", both of which a bundler accepts and Node does not.
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (error) {
    if (specifier.startsWith(".") || specifier.includes("/")) return next(`${specifier}.js`, context);
    throw error;
  }
}

export async function load(url, context, next) {
  if (url.includes("/dist/esm/")) return next(url, { ...context, format: "module" });
  return next(url, context);
}
