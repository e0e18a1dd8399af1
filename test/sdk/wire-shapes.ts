import ts from 'typescript';

/**
 * The shape of a wire value, as far as drift matters: objects by property name and optionality,
 * arrays by their items, maps (Record) and scalars. Built from the SDK's TypeScript types with the
 * compiler API and from the OpenAPI document, then compared.
 */
export type Shape =
  | { kind: 'object'; props: ReadonlyMap<string, { optional: boolean; shape: Shape }> }
  | { kind: 'array'; items: Shape }
  | { kind: 'map' }
  | { kind: 'scalar' };

export type JsonSchema = { [k: string]: unknown };

export interface OpenApiOperation {
  operationId?: string;
  parameters?: { in: string; name: string; required?: boolean; schema?: JsonSchema }[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
  responses: Record<string, { content?: Record<string, { schema?: JsonSchema }> }>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, JsonSchema> };
}

const SCALAR: Shape = { kind: 'scalar' };
const MAX_DEPTH = 8;

/** The SDK's types as the compiler sees them. */
export interface SdkTypes {
  /** An exported interface or type alias of types.ts. */
  named(name: string): Shape;
  /** The members of an exported union of string literals, sorted. */
  literals(name: string): string[];
  /** Per public method of the class: its parameters' shapes and the shape its promise resolves to. */
  methods(className: string): Map<string, { params: Shape[]; returns: Shape }>;
}

/**
 * Compiles the SDK entry and reads types.ts and the client through the type checker.
 *
 * @example const sdk = loadSdkTypes('sdk/src/client.ts', 'sdk/src/types.ts'); sdk.named('ApiKey')
 */
export function loadSdkTypes(clientFile: string, typesFile: string): SdkTypes {
  const program = ts.createProgram([clientFile], {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    allowImportingTsExtensions: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
    lib: ['lib.es2023.d.ts'],
  });
  const checker = program.getTypeChecker();
  const moduleExports = (file: string): ts.Symbol[] => {
    const source = program.getSourceFile(file);
    const moduleSymbol = source === undefined ? undefined : checker.getSymbolAtLocation(source);
    if (moduleSymbol === undefined) throw new Error(`${file} is not part of the program`);
    return checker.getExportsOfModule(moduleSymbol);
  };

  const shapeOf = (type: ts.Type, depth: number): Shape => {
    if (depth > MAX_DEPTH) return SCALAR;
    const t = checker.getNonNullableType(type);
    if (t.isUnion()) {
      const objects = t.types.filter((m) => (m.flags & ts.TypeFlags.Object) !== 0);
      const first = objects[0];
      return objects.length === 1 && first !== undefined ? shapeOf(first, depth) : SCALAR;
    }
    if (checker.isArrayType(t)) {
      const item = checker.getTypeArguments(t as ts.TypeReference)[0];
      return { kind: 'array', items: item === undefined ? SCALAR : shapeOf(item, depth + 1) };
    }
    if ((t.flags & ts.TypeFlags.Object) === 0) return SCALAR;
    const props = checker.getPropertiesOfType(t);
    if (props.length === 0) return checker.getIndexInfosOfType(t).length > 0 ? { kind: 'map' } : SCALAR;
    return {
      kind: 'object',
      props: new Map(props.map((p) => [p.getName(), { optional: (p.flags & ts.SymbolFlags.Optional) !== 0, shape: shapeOf(checker.getTypeOfSymbol(p), depth + 1) }])),
    };
  };

  const declared = (name: string): ts.Type => {
    const symbol = moduleExports(typesFile).find((s) => s.getName() === name);
    if (symbol === undefined) throw new Error(`${typesFile} exports no ${name}`);
    return checker.getDeclaredTypeOfSymbol(symbol);
  };

  return {
    named: (name) => shapeOf(declared(name), 0),
    literals(name) {
      const t = declared(name);
      return (t.isUnion() ? t.types : [t]).map((m) => (m.isStringLiteral() ? m.value : `<${checker.typeToString(m)}>`)).sort();
    },
    methods(className) {
      const symbol = moduleExports(clientFile).find((s) => s.getName() === className);
      if (symbol === undefined) throw new Error(`${clientFile} exports no ${className}`);
      const instance = checker.getDeclaredTypeOfSymbol(symbol);
      const out = new Map<string, { params: Shape[]; returns: Shape }>();
      for (const member of checker.getPropertiesOfType(instance)) {
        const signature = checker.getSignaturesOfType(checker.getTypeOfSymbol(member), ts.SignatureKind.Call)[0];
        if (signature === undefined) continue;
        const returned = signature.getReturnType();
        out.set(member.getName(), {
          params: signature.getParameters().map((p) => shapeOf(checker.getTypeOfSymbol(p), 0)),
          returns: shapeOf(checker.getAwaitedType(returned) ?? returned, 0),
        });
      }
      return out;
    },
  };
}

/** Follows `#/components/schemas/…` references. */
function resolve(doc: OpenApiDocument, s: JsonSchema): JsonSchema {
  const ref = s.$ref;
  if (typeof ref !== 'string') return s;
  const name = ref.replace('#/components/schemas/', '');
  const target = doc.components.schemas[name];
  if (target === undefined) throw new Error(`unresolved $ref ${ref}`);
  return target;
}

const schemaList = (v: unknown): JsonSchema[] => (Array.isArray(v) ? (v as JsonSchema[]) : []);

/** The shape an OpenAPI schema describes. */
export function shapeOfSchema(doc: OpenApiDocument, schema: JsonSchema, depth = 0): Shape {
  if (depth > MAX_DEPTH) return SCALAR;
  const s = resolve(doc, schema);
  const allOf = schemaList(s.allOf);
  if (allOf.length > 0) {
    const props = new Map<string, { optional: boolean; shape: Shape }>();
    for (const part of allOf) {
      const shape = shapeOfSchema(doc, part, depth);
      if (shape.kind === 'object') for (const [k, v] of shape.props) props.set(k, v);
    }
    return { kind: 'object', props };
  }
  const alternatives = [...schemaList(s.anyOf), ...schemaList(s.oneOf)].filter((a) => resolve(doc, a).type !== 'null');
  if (alternatives.length > 0) {
    const shapes = alternatives.map((a) => shapeOfSchema(doc, a, depth)).filter((a) => a.kind !== 'scalar');
    const first = shapes[0];
    return shapes.length === 1 && first !== undefined ? first : SCALAR;
  }
  if (s.type === 'array') return { kind: 'array', items: typeof s.items === 'object' && s.items !== null ? shapeOfSchema(doc, s.items as JsonSchema, depth + 1) : SCALAR };
  const properties = s.properties;
  if (typeof properties === 'object' && properties !== null) {
    const required = new Set(Array.isArray(s.required) ? (s.required as string[]) : []);
    return {
      kind: 'object',
      props: new Map(Object.entries(properties as Record<string, JsonSchema>).map(([k, v]) => [k, { optional: !required.has(k), shape: shapeOfSchema(doc, v, depth + 1) }])),
    };
  }
  if (s.type === 'object') return { kind: 'map' };
  return SCALAR;
}

/** The string values a schema allows (`enum` and `const`, through anyOf/oneOf), sorted. */
export function enumOfSchema(doc: OpenApiDocument, schema: JsonSchema): string[] {
  const s = resolve(doc, schema);
  const own = [...(Array.isArray(s.enum) ? (s.enum as unknown[]) : []), ...(s.const !== undefined ? [s.const] : [])].map(String);
  return [...own, ...[...schemaList(s.anyOf), ...schemaList(s.oneOf)].flatMap((a) => enumOfSchema(doc, a))].sort();
}

/** The query parameters of an operation as one object shape. */
export function shapeOfQuery(doc: OpenApiDocument, op: OpenApiOperation): Shape {
  const query = (op.parameters ?? []).filter((p) => p.in === 'query');
  return { kind: 'object', props: new Map(query.map((p) => [p.name, { optional: p.required !== true, shape: p.schema === undefined ? SCALAR : shapeOfSchema(doc, p.schema) }])) };
}

/** The JSON schema of an operation's success answer (the lowest 2xx with a JSON body). */
export function successSchema(op: OpenApiOperation): JsonSchema | undefined {
  const status = Object.keys(op.responses)
    .filter((s) => /^2\d\d$/.test(s))
    .sort()[0];
  return status === undefined ? undefined : op.responses[status]?.content?.['application/json']?.schema;
}

export function requestBodySchema(op: OpenApiOperation): JsonSchema | undefined {
  return op.requestBody?.content?.['application/json']?.schema;
}

/**
 * Where `sdk` (the SDK's type) and `api` (the document's) disagree: property names either side,
 * optionality, and the kind of value, recursively. Empty when they agree.
 *
 * @example diffShapes(sdk.named('ApiKey'), shapeOfSchema(doc, doc.components.schemas.ApiKey), 'ApiKey') // []
 */
export function diffShapes(sdk: Shape, api: Shape, path: string): string[] {
  if (sdk.kind !== api.kind) return [`${path}: the SDK has a ${sdk.kind}, the OpenAPI document a ${api.kind}`];
  if (sdk.kind === 'array' && api.kind === 'array') return diffShapes(sdk.items, api.items, `${path}[]`);
  if (sdk.kind !== 'object' || api.kind !== 'object') return [];
  const out: string[] = [];
  for (const name of api.props.keys()) if (!sdk.props.has(name)) out.push(`${path}.${name}: in the OpenAPI document, missing from the SDK`);
  for (const [name, s] of sdk.props) {
    const a = api.props.get(name);
    if (a === undefined) {
      out.push(`${path}.${name}: in the SDK, not in the OpenAPI document`);
      continue;
    }
    if (s.optional !== a.optional) out.push(`${path}.${name}: ${s.optional ? 'optional' : 'required'} in the SDK, ${a.optional ? 'optional' : 'required'} in the OpenAPI document`);
    out.push(...diffShapes(s.shape, a.shape, `${path}.${name}`));
  }
  return out;
}
