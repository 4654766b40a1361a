import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import type { Json } from "../http/test-server.js";

// ajv-formats is CommonJS; under NodeNext its default export arrives as the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const DOCUMENT_ID = "openapi.json";

/**
 * Checks request and response bodies against the OpenAPI document the server serves. The whole
 * document is one ajv schema, so each operation's schema is reached by JSON pointer and its
 * `#/components/schemas/…` references resolve inside it. OpenAPI 3.0's `nullable` is one of
 * ajv's own keywords; the document's other keys (`openapi`, `paths`, …) are not schema keywords
 * and strict mode is off to let ajv pass over them.
 */
export class OpenApiValidator {
  private readonly ajv = new Ajv({ strict: false, allErrors: true });
  private readonly cache = new Map<string, ValidateFunction>();

  constructor(private readonly document: Json) {
    addFormats(this.ajv);
    this.ajv.addSchema(document, DOCUMENT_ID);
  }

  /** The documented path template that `path` matches, e.g. /v1/admin/keys/{key_id}. */
  templateOf(method: string, path: string): string | undefined {
    return Object.keys(this.document.paths).find((template) => {
      const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`);
      return pattern.test(path) && this.document.paths[template][method.toLowerCase()] !== undefined;
    });
  }

  /** Errors of a request body (empty when valid); throws when the operation is undocumented. */
  requestErrors(method: string, path: string, body: unknown): string[] {
    const pointer = `${this.operationPointer(method, path)}/requestBody/content/application~1json/schema`;
    return this.errors(pointer, body);
  }

  /** Errors of a response body for its status (empty when valid). */
  responseErrors(method: string, path: string, status: number, body: unknown): string[] {
    const pointer = `${this.operationPointer(method, path)}/responses/${status}/content/application~1json/schema`;
    return this.errors(pointer, body);
  }

  /** Errors of a value against a named component schema, e.g. "Event". */
  componentErrors(name: string, value: unknown): string[] {
    return this.errors(`/components/schemas/${name}`, value);
  }

  private operationPointer(method: string, path: string): string {
    const template = this.templateOf(method, path);
    if (template === undefined) throw new Error(`${method} ${path} is not in the OpenAPI document`);
    return `/paths/${template.replaceAll("~", "~0").replaceAll("/", "~1")}/${method.toLowerCase()}`;
  }

  private errors(pointer: string, value: unknown): string[] {
    let validate = this.cache.get(pointer);
    if (validate === undefined) {
      validate = this.ajv.compile({ $ref: `${DOCUMENT_ID}#${pointer}` });
      this.cache.set(pointer, validate);
    }
    return validate(value) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath || "/"} ${error.message ?? ""}`);
  }
}
