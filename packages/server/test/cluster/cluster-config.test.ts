import { describe, expect, it } from "vitest";
import { redactedUrl } from "../../src/cluster/redacted-url.js";
import { ConfigError } from "../../src/config/config-error.js";
import { loadConfig } from "../../src/config/config.js";

describe("cluster settings", () => {
  it("reads REDIS_KEY_PREFIX and API_KEY_CACHE_TTL_MS, with their defaults", () => {
    expect(loadConfig({}, { cwd: "/srv" })).toMatchObject({ redisKeyPrefix: "mosaic:", apiKeyCacheTtlMs: 30_000 });
    const config = loadConfig({ REDIS_KEY_PREFIX: "blue:", API_KEY_CACHE_TTL_MS: "5000" }, { cwd: "/srv" });
    expect(config).toMatchObject({ redisKeyPrefix: "blue:", apiKeyCacheTtlMs: 5000 });
  });

  it("refuses a prefix with spaces or of over 64 characters, and a TTL over an hour, naming the variable", () => {
    for (const env of [{ REDIS_KEY_PREFIX: "a b" }, { REDIS_KEY_PREFIX: "x".repeat(65) }, { API_KEY_CACHE_TTL_MS: "3600001" }]) {
      const error = (() => {
        try {
          loadConfig(env, { cwd: "/srv" });
        } catch (caught) {
          return caught;
        }
        return null;
      })();
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain(Object.keys(env)[0]);
    }
  });

  it("masks the password of a URL it logs and drops its query", () => {
    expect(redactedUrl("redis://user:s3cret@cache:6380/2?password=x")).toBe("redis://user:***@cache:6380/2");
    expect(redactedUrl("redis://cache:6379")).toBe("redis://cache:6379");
    expect(redactedUrl("not a url")).not.toContain("not a url");
  });

  it("masks a user name that may be the secret: alone in the userinfo, or token-long; keeps short ACL user names", () => {
    expect(redactedUrl("rediss://AbCdEf0123456789xyz@cache:6379")).toBe("rediss://***@cache:6379");
    expect(redactedUrl("redis://short@cache:6379")).toBe("redis://***@cache:6379");
    expect(redactedUrl("redis://tok_0123456789abcdefghij:s3cret@cache:6379")).toBe("redis://***:***@cache:6379");
    expect(redactedUrl("redis://default:s3cret@cache:6379")).toBe("redis://default:***@cache:6379");
  });
});
