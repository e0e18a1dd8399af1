// The parts of the SARIF 2.1.0 schema (OASIS standard, errata 01) that `clavis scan --format
// sarif` uses, written out from the specification as a JSON Schema for Ajv. Every object keeps
// the standard's `additionalProperties: false` and lists only the properties Clavis emits, so a
// log valid here is valid against the full schema (this is stricter, never looser): required
// members, enums (version, level, columnKind), 1-based lines and columns, URI formats.

const propertyBag = {
  type: 'object',
  properties: { tags: { type: 'array', items: { type: 'string' }, uniqueItems: true } },
  additionalProperties: true,
};

const multiformatMessageString = {
  type: 'object',
  additionalProperties: false,
  properties: { text: { type: 'string' }, markdown: { type: 'string' }, properties: propertyBag },
  required: ['text'],
};

const message = {
  type: 'object',
  additionalProperties: false,
  properties: { text: { type: 'string' }, markdown: { type: 'string' }, id: { type: 'string' }, arguments: { type: 'array', items: { type: 'string' } }, properties: propertyBag },
  anyOf: [{ required: ['text'] }, { required: ['id'] }],
};

const level = { enum: ['none', 'note', 'warning', 'error'] };

const reportingDescriptor = {
  type: 'object',
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    shortDescription: multiformatMessageString,
    fullDescription: multiformatMessageString,
    defaultConfiguration: {
      type: 'object',
      additionalProperties: false,
      properties: { enabled: { type: 'boolean' }, level, rank: { type: 'number', minimum: -1, maximum: 100 }, properties: propertyBag },
    },
    helpUri: { type: 'string', format: 'uri' },
    properties: propertyBag,
  },
  required: ['id'],
};

const region = {
  type: 'object',
  additionalProperties: false,
  properties: {
    startLine: { type: 'integer', minimum: 1 },
    startColumn: { type: 'integer', minimum: 1 },
    endLine: { type: 'integer', minimum: 1 },
    endColumn: { type: 'integer', minimum: 1 },
    properties: propertyBag,
  },
};

const artifactLocation = {
  type: 'object',
  additionalProperties: false,
  properties: { uri: { type: 'string', format: 'uri-reference' }, uriBaseId: { type: 'string' }, index: { type: 'integer', minimum: -1 }, properties: propertyBag },
};

const location = {
  type: 'object',
  additionalProperties: false,
  properties: {
    physicalLocation: {
      type: 'object',
      additionalProperties: false,
      properties: { artifactLocation, region, properties: propertyBag },
      anyOf: [{ required: ['artifactLocation'] }],
    },
    message,
    properties: propertyBag,
  },
};

const result = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ruleId: { type: 'string' },
    ruleIndex: { type: 'integer', minimum: -1 },
    level,
    message,
    locations: { type: 'array', items: location },
    partialFingerprints: { type: 'object', additionalProperties: { type: 'string' } },
    fingerprints: { type: 'object', additionalProperties: { type: 'string' } },
    properties: propertyBag,
  },
  required: ['message'],
};

const toolComponent = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string' },
    version: { type: 'string' },
    semanticVersion: { type: 'string' },
    informationUri: { type: 'string', format: 'uri' },
    rules: { type: 'array', items: reportingDescriptor, uniqueItems: true },
    properties: propertyBag,
  },
  required: ['name'],
};

export const SARIF_2_1_0_SUBSET = {
  type: 'object',
  additionalProperties: false,
  properties: {
    $schema: { type: 'string', format: 'uri' },
    version: { enum: ['2.1.0'] },
    runs: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        properties: {
          tool: { type: 'object', additionalProperties: false, properties: { driver: toolComponent, properties: propertyBag }, required: ['driver'] },
          columnKind: { enum: ['utf16CodeUnits', 'unicodeCodePoints'] },
          results: { type: 'array', items: result },
          properties: propertyBag,
        },
        required: ['tool'],
      },
    },
    properties: propertyBag,
  },
  required: ['version', 'runs'],
} as const;
