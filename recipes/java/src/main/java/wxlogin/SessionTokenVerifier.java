package wxlogin; // your package here

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Verifies the session tokens the WeChat login kit signs (contracts/token.ts): an EdDSA (Ed25519) compact JWS, header
 * {alg:"EdDSA", typ:"JWT", kid}, claims iss, sub, unionid?, iat, exp, aid, sv, aud?.
 *
 * <p>Needs Java 17 (Ed25519 is in the JDK since 15, records since 16) and Jackson
 * (com.fasterxml.jackson.core:jackson-databind, which Spring Boot already ships). No JWT library: Spring Security's
 * NimbusJwtDecoder cannot verify EdDSA, and every claim of the contract is checked below by hand anyway, in the order
 * and with the reasons of the kit's Node verifier (verifier/verify.ts). The kit's tests run this file against the
 * Node verifier on generated tokens and on the login function's own (test/verifier/recipes.test.ts).
 *
 * <p>Thread-safe: build one and share it. To reload the JWKS (key rotation), build a new one and swap it in.
 */
public final class SessionTokenVerifier {
  /** The user's account as it is now: accountId, sessionVersion (missing counts as 1), status == 'banned'. */
  public record CurrentSession(String aid, long sv, boolean banned) {}

  /** Revocation: the user's current session, or null when there is no account. Exceptions are yours (5xx). */
  @FunctionalInterface
  public interface SessionLookup {
    CurrentSession lookup(String openid);
  }

  /** The verified claims. unionid and aud are null when absent; iat and exp are seconds since the epoch. */
  public record Claims(
      String iss, String sub, String unionid, String aid, long sv, double iat, double exp, String aud) {}

  /**
   * Answer 401. reason is one of the Node verifier's: malformed, algorithm, unknown_key, signature, expired, issuer,
   * audience, claims, revoked.
   */
  public static final class TokenRejectedException extends Exception {
    private static final long serialVersionUID = 1L;
    public final String reason;

    TokenRejectedException(String reason, String message) {
      super(message);
      this.reason = reason;
    }
  }

  private static final int MAX_LIFETIME_S = 86_400; // the longest AUTH_TOKEN_TTL_S the login function allows
  private static final int MAX_SKEW_S = 60;
  private static final int MAX_LENGTH = 4096; // a real token is about 400 characters
  private static final Pattern COMPACT_JWS = Pattern.compile("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+");
  private static final Pattern ACCOUNT_ID = Pattern.compile("[A-Za-z0-9_-]{22}");
  /** DER prefix of an Ed25519 SubjectPublicKeyInfo: the JDK imports a raw 32-byte key (the JWK's x) through it. */
  private static final byte[] ED25519_SPKI = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS); // one JSON value, nothing after it

  private final Map<String, PublicKey> keys = new HashMap<>();
  private final Set<String> issuers;
  private final Set<String> audiences;
  private final SessionLookup currentSession;
  private final Clock clock;

  /**
   * @param jwksJson your jwks.json (what `npm run keys` writes)
   * @param issuers your AppID(s): the iss a token must carry
   * @param audiences the login function's AUTH_TOKEN_AUDIENCE; empty: a token with aud is refused (it is for another
   *     backend)
   * @param currentSession revocation (recommended), or null; aid and sv are compared for equality here
   * @param clock Clock.systemUTC(), or a fixed one in tests
   */
  public SessionTokenVerifier(
      String jwksJson, Set<String> issuers, Set<String> audiences, SessionLookup currentSession, Clock clock)
      throws IOException, GeneralSecurityException {
    if (issuers.isEmpty()) throw new IllegalArgumentException("issuers must name your AppID(s)");
    this.issuers = Set.copyOf(issuers);
    this.audiences = Set.copyOf(audiences);
    this.currentSession = currentSession;
    this.clock = clock;
    KeyFactory factory = KeyFactory.getInstance("Ed25519");
    for (JsonNode k : JSON.readTree(jwksJson).path("keys")) {
      // Only Ed25519 signing keys with a kid: a token names its key by kid, and nothing else may verify it.
      if (!k.path("kty").asText().equals("OKP") || !k.path("crv").asText().equals("Ed25519")) continue;
      if (!k.path("use").asText("sig").equals("sig") || !k.path("alg").asText("EdDSA").equals("EdDSA")) continue;
      String kid = k.path("kid").asText("");
      byte[] x = Base64.getUrlDecoder().decode(k.path("x").asText(""));
      if (kid.isEmpty() || x.length != 32) continue;
      byte[] spki = new byte[ED25519_SPKI.length + 32];
      System.arraycopy(ED25519_SPKI, 0, spki, 0, ED25519_SPKI.length);
      System.arraycopy(x, 0, spki, ED25519_SPKI.length, 32);
      keys.put(kid, factory.generatePublic(new X509EncodedKeySpec(spki)));
    }
    if (keys.isEmpty()) throw new IllegalArgumentException("the JWKS holds no Ed25519 key with a kid");
  }

  public Claims verify(String token) throws TokenRejectedException {
    // 1. Canonical compact form only: one token has one spelling, so a deny-list or cache keyed on it holds.
    String[] parts = canonicalParts(token);
    if (parts == null) throw reject("malformed", "not a canonical compact JWS");

    // 2. The header: alg pinned (never `none`, never HS256 keyed with the public key), typ JWT, a known kid.
    JsonNode header = parseObject(parts[0]);
    if (header == null) throw reject("malformed", "invalid header");
    if (header.has("crit")) throw reject("malformed", "unsupported crit header"); // RFC 7515 4.1.11
    JsonNode alg = header.path("alg");
    if (!alg.isTextual() || alg.asText().isEmpty()) throw reject("malformed", "missing alg");
    if (!alg.asText().equals("EdDSA")) throw reject("algorithm", "alg must be EdDSA");
    JsonNode kid = header.path("kid");
    PublicKey key = kid.isTextual() ? keys.get(kid.asText()) : null; // no kid: refused, never "the only key there is"
    if (key == null) throw reject("unknown_key", "no key for this kid");
    if (!signatureVerifies(key, parts)) throw reject("signature", "signature verification failed");
    JsonNode payload = parseObject(parts[1]);
    if (payload == null) throw reject("malformed", "payload is not a JSON object");
    // typ as RFC 7515 4.1.9 compares it (case-insensitive, "application/" optional), like the Node verifier.
    JsonNode typ = header.path("typ");
    if (!typ.isTextual() || !typ.asText().toLowerCase(Locale.ROOT).replaceFirst("^application/", "").equals("jwt")) {
      throw reject("algorithm", "typ must be JWT");
    }

    // 3. The claims, in the Node verifier's order, so that both report the same reason. Each required one present:
    // a missing sv must not become 0 or a NullPointerException.
    JsonNode aud = payload.get("aud");
    if (!payload.has("iss")) throw reject("issuer", "missing claim iss");
    if (!audiences.isEmpty() && aud == null) throw reject("audience", "missing claim aud");
    for (String name : List.of("aid", "sv", "exp", "iat", "sub")) {
      if (!payload.has(name)) throw reject("malformed", "missing claim " + name);
    }
    JsonNode iss = payload.get("iss");
    if (!iss.isTextual() || !issuers.contains(iss.asText())) throw reject("issuer", "unexpected issuer");
    if (!audiences.isEmpty() && !namesAudience(aud)) throw reject("audience", "token meant for another audience");
    double now = clock.instant().getEpochSecond();
    JsonNode iat = payload.get("iat"), exp = payload.get("exp"), nbf = payload.get("nbf");
    if (!iat.isNumber() || !exp.isNumber()) throw reject("malformed", "iat and exp must be numbers");
    // The login never sets nbf; honour it when present, as RFC 7519 says.
    if (nbf != null && (!nbf.isNumber() || nbf.doubleValue() > now + MAX_SKEW_S)) {
      throw reject("malformed", "nbf invalid or in the future");
    }
    if (exp.doubleValue() <= now - MAX_SKEW_S) throw reject("expired", "token expired");
    JsonNode sub = payload.get("sub");
    if (!sub.isTextual() || sub.asText().isEmpty()) throw reject("malformed", "sub must be a non-empty string");
    // sv: an integer >= 1, read as JavaScript reads it (1.0 is 1; beyond 2^53 - 1 it is not exact any more).
    JsonNode svNode = payload.get("sv");
    double sv = svNode.doubleValue();
    if (!svNode.isNumber() || sv != Math.rint(sv) || sv < 1 || sv > 9007199254740991d) {
      throw reject("malformed", "sv must be an integer >= 1");
    }
    JsonNode aid = payload.get("aid");
    if (!aid.isTextual() || !ACCOUNT_ID.matcher(aid.asText()).matches()) {
      throw reject("malformed", "aid must be an account id");
    }
    if (aud != null && (!aud.isTextual() || aud.asText().isEmpty())) { // one string: the login writes no other
      throw reject("malformed", "invalid claim aud");
    }
    JsonNode unionid = payload.get("unionid");
    if (unionid != null && (!unionid.isTextual() || unionid.asText().isEmpty())) {
      throw reject("malformed", "unionid must be a non-empty string");
    }
    if (iat.doubleValue() > now + MAX_SKEW_S) throw reject("claims", "token issued in the future");
    if (exp.doubleValue() - iat.doubleValue() > MAX_LIFETIME_S) {
      throw reject("claims", "token lifetime longer than the login function issues");
    }
    // You expect no audience: the token is meant for another backend.
    if (aud != null && audiences.isEmpty()) throw reject("audience", "token meant for another audience");
    Claims claims = new Claims(iss.asText(), sub.asText(), unionid == null ? null : unionid.asText(), aid.asText(),
        (long) sv, iat.doubleValue(), exp.doubleValue(), aud == null ? null : aud.asText());

    // 4. Revocation: the same account (aid) AND the same session version (sv), by equality. Never `sv >=`: after
    // 注销 a new account of the same OPENID starts at sv 1 again; logout and bans increment sv.
    if (currentSession != null) {
      CurrentSession current = currentSession.lookup(claims.sub());
      if (current == null || current.banned() || !claims.aid().equals(current.aid()) || claims.sv() != current.sv()) {
        throw reject("revoked", "session revoked");
      }
    }
    return claims;
  }

  /** aud is one of yours, or a list holding one (RFC 7519 4.1.3; refused later anyway: the login writes a string). */
  private boolean namesAudience(JsonNode aud) {
    if (aud.isArray()) {
      for (JsonNode item : aud) if (item.isTextual() && audiences.contains(item.asText())) return true;
      return false;
    }
    return aud.isTextual() && audiences.contains(aud.asText());
  }

  /** Each part the exact base64url encoding of its bytes: no padding, no `+/`, no whitespace, no spare bits set. */
  private static String[] canonicalParts(String token) {
    if (token == null || token.length() > MAX_LENGTH || !COMPACT_JWS.matcher(token).matches()) return null;
    String[] parts = token.split("\\.");
    for (String part : parts) {
      try {
        byte[] raw = Base64.getUrlDecoder().decode(part);
        if (!Base64.getUrlEncoder().withoutPadding().encodeToString(raw).equals(part)) return null;
      } catch (IllegalArgumentException e) {
        return null;
      }
    }
    return parts;
  }

  /** A JSON object, or null. Bytes are read as UTF-8 with replacement, as the Node verifier reads them. */
  private static JsonNode parseObject(String part) {
    try {
      JsonNode node = JSON.readTree(new String(Base64.getUrlDecoder().decode(part), StandardCharsets.UTF_8));
      return node != null && node.isObject() ? node : null;
    } catch (Exception e) {
      return null;
    }
  }

  private static boolean signatureVerifies(PublicKey key, String[] parts) {
    try {
      Signature verifier = Signature.getInstance("Ed25519"); // also refuses S >= L (malleable signatures)
      verifier.initVerify(key);
      verifier.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
      return verifier.verify(Base64.getUrlDecoder().decode(parts[2]));
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static TokenRejectedException reject(String reason, String message) {
    return new TokenRejectedException(reason, message);
  }
}
