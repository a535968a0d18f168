// The parts of a pod spec that refer to ConfigMaps and Secrets or to the pod itself: env valueFrom,
// envFrom, and the configMap, secret, downwardAPI and projected volumes (Kubernetes' validation wording).
import { type Container, configKeyErrors, type EnvVar, isEnvVarName, type KeyToPath, type Volume } from "@mk/proto";
import { validateDownwardFiles, validateFieldRef, validateResourceFieldRef } from "./podspec-downward.js";
import { type Errors, forbidden, invalid, required, validateDnsSubdomain } from "./validation.js";

const ENV_NAME_MSG = "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit";
const MODE_MSG = "must be a number between 0 and 0777 (octal), both inclusive";

function validateKey(field: string, key: string, errs: Errors): void {
  if (!key) errs.push(required(field));
  else for (const detail of configKeyErrors(key)) errs.push(invalid(field, key, detail));
}

function validateRef(f: string, name: string, key: string, errs: Errors): void {
  if (!name) errs.push(required(`${f}.name`));
  else validateDnsSubdomain(`${f}.name`, name, errs);
  validateKey(`${f}.key`, key, errs);
}

function validateValueFrom(f: string, e: EnvVar, containers: ReadonlySet<string>, errs: Errors): void {
  const from = e.valueFrom;
  if (!from) return;
  if (e.value) errs.push(invalid(`${f}.valueFrom`, "", "may not be specified when `value` is not empty"));
  const set = [from.configMapKeyRef, from.secretKeyRef, from.fieldRef, from.resourceFieldRef].filter((x) => x !== undefined).length;
  if (set === 0) errs.push(invalid(`${f}.valueFrom`, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"));
  if (set > 1) errs.push(invalid(`${f}.valueFrom`, "", "may not have more than one field specified at a time"));
  if (from.configMapKeyRef) validateRef(`${f}.valueFrom.configMapKeyRef`, from.configMapKeyRef.name, from.configMapKeyRef.key, errs);
  if (from.secretKeyRef) validateRef(`${f}.valueFrom.secretKeyRef`, from.secretKeyRef.name, from.secretKeyRef.key, errs);
  if (from.fieldRef) validateFieldRef(`${f}.valueFrom.fieldRef`, from.fieldRef, "env", errs);
  if (from.resourceFieldRef) validateResourceFieldRef(`${f}.valueFrom.resourceFieldRef`, from.resourceFieldRef, "env", containers, errs);
}

/** env[].valueFrom and envFrom of a container at path `cf`; `containers` names the pod's containers. */
export function validateEnvSources(cf: string, c: Container, containers: ReadonlySet<string>, errs: Errors): void {
  c.env.forEach((e, j) => {
    validateValueFrom(`${cf}.env[${j}]`, e, containers, errs);
  });
  c.envFrom.forEach((s, j) => {
    const f = `${cf}.envFrom[${j}]`;
    if (s.prefix && !isEnvVarName(s.prefix)) errs.push(invalid(`${f}.prefix`, s.prefix, ENV_NAME_MSG));
    const set = [s.configMapRef, s.secretRef].filter((x) => x !== undefined).length;
    if (set === 0) errs.push(invalid(f, "", "must specify one of: `configMapRef` or `secretRef`"));
    if (set > 1) errs.push(invalid(f, "", "may not have more than one field specified at a time"));
    for (const [name, ref] of [
      ["configMapRef", s.configMapRef],
      ["secretRef", s.secretRef],
    ] as const) {
      if (!ref) continue;
      if (!ref.name) errs.push(required(`${f}.${name}.name`));
      else validateDnsSubdomain(`${f}.${name}.name`, ref.name, errs);
    }
  });
}

function validateMode(field: string, mode: number | undefined, errs: Errors): void {
  if (mode !== undefined && (mode < 0 || mode > 0o777)) errs.push(invalid(field, mode, MODE_MSG));
}

function validatePath(field: string, path: string, errs: Errors): void {
  if (!path) {
    errs.push(required(field));
    return;
  }
  if (path.startsWith("/")) errs.push(invalid(field, path, "must be a relative path"));
  const parts = path.split("/");
  if (parts.includes("..")) errs.push(invalid(field, path, "must not contain '..'"));
  else if (parts[0]?.startsWith("..")) errs.push(invalid(field, path, "must not start with '..'"));
}

/** Checks a file's path, and that no other file of the volume (`paths`) has it. */
function pathChecker(paths: Set<string>, errs: Errors): (field: string, path: string) => void {
  return (field, path) => {
    validatePath(field, path, errs);
    if (path && paths.has(path)) errs.push(forbidden(field, `path ${JSON.stringify(path)} is used more than once`));
    paths.add(path);
  };
}

function validateItems(f: string, items: readonly KeyToPath[], errs: Errors, paths = new Set<string>()): void {
  const checkPath = pathChecker(paths, errs);
  items.forEach((it, i) => {
    validateKey(`${f}.items[${i}].key`, it.key, errs);
    checkPath(`${f}.items[${i}].path`, it.path);
    validateMode(`${f}.items[${i}].mode`, it.mode, errs);
  });
}

function validateNamed(field: string, name: string, errs: Errors): void {
  if (!name) errs.push(required(field));
  else validateDnsSubdomain(field, name, errs);
}

/** A downwardAPI or projected volume at path `vf`; `containers` names the pod's containers. */
export function validatePodInfoVolume(vf: string, v: Volume, containers: ReadonlySet<string>, errs: Errors): void {
  if (v.downwardApi) {
    const f = `${vf}.downwardAPI`;
    validateDownwardFiles(f, v.downwardApi.items, containers, errs, pathChecker(new Set(), errs));
    validateMode(`${f}.defaultMode`, v.downwardApi.defaultMode, errs);
  }
  if (!v.projected) return;
  const f = `${vf}.projected`;
  validateMode(`${f}.defaultMode`, v.projected.defaultMode, errs);
  // One directory for every source: no two files at one path.
  const paths = new Set<string>();
  v.projected.sources.forEach((s, i) => {
    const sf = `${f}.sources[${i}]`;
    const set = [s.configMap, s.secret, s.downwardApi].filter((x) => x !== undefined).length;
    if (set === 0) errs.push(required(sf, "must specify one of: `configMap`, `secret` or `downwardAPI`"));
    if (set > 1) errs.push(forbidden(sf, "may not specify more than 1 volume type per source"));
    if (s.configMap) {
      validateNamed(`${sf}.configMap.name`, s.configMap.name, errs);
      validateItems(`${sf}.configMap`, s.configMap.items, errs, paths);
    }
    if (s.secret) {
      validateNamed(`${sf}.secret.name`, s.secret.name, errs);
      validateItems(`${sf}.secret`, s.secret.items, errs, paths);
    }
    if (s.downwardApi) validateDownwardFiles(`${sf}.downwardAPI`, s.downwardApi.items, containers, errs, pathChecker(paths, errs));
  });
}

/** A configMap or secret volume source at path `vf` (the volume). */
export function validateConfigVolume(vf: string, v: Volume, errs: Errors): void {
  const sources = [
    v.configMap && { f: `${vf}.configMap.name`, base: `${vf}.configMap`, name: v.configMap.name, items: v.configMap.items, mode: v.configMap.defaultMode },
    v.secret && { f: `${vf}.secret.secretName`, base: `${vf}.secret`, name: v.secret.secretName, items: v.secret.items, mode: v.secret.defaultMode },
  ];
  for (const src of sources) {
    if (!src) continue;
    if (!src.name) errs.push(required(src.f));
    else validateDnsSubdomain(src.f, src.name, errs);
    validateItems(src.base, src.items, errs);
    validateMode(`${src.base}.defaultMode`, src.mode, errs);
  }
}
