package wxlogin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The kit's test driver for SessionTokenVerifier (test/verifier/recipes.test.ts), not part of the recipe: one JSON
 * case per line on stdin, one verdict per line on stdout, so that one JVM checks a whole batch.
 *
 * <pre>
 * {"token":"...","jwks":{...},"issuers":["wx..."],"audiences":[],"now":1900000000,
 *  "sessions":{"o-alice":{"aid":"...","sv":1,"banned":false}}}   sessions absent: no revocation hook
 * -> {"verdict":"accepted","claims":{...}} | {"verdict":"refused","reason":"expired"}
 * </pre>
 */
public final class TokenCheck {
  public static void main(String[] args) throws Exception {
    ObjectMapper json = new ObjectMapper();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8); // a verdict per line, at once
    for (String line; (line = in.readLine()) != null; ) {
      JsonNode c = json.readTree(line);
      Set<String> issuers = new HashSet<>(), audiences = new HashSet<>();
      c.path("issuers").forEach(n -> issuers.add(n.asText()));
      c.path("audiences").forEach(n -> audiences.add(n.asText()));
      JsonNode sessions = c.get("sessions");
      SessionTokenVerifier.SessionLookup lookup = sessions == null ? null : openid -> {
        JsonNode s = sessions.get(openid);
        if (s == null || s.isNull()) return null;
        return new SessionTokenVerifier.CurrentSession(
            s.path("aid").asText(), s.path("sv").asLong(), s.path("banned").asBoolean(false));
      };
      Clock clock = Clock.fixed(Instant.ofEpochSecond(c.path("now").asLong()), ZoneOffset.UTC);
      SessionTokenVerifier verifier =
          new SessionTokenVerifier(json.writeValueAsString(c.get("jwks")), issuers, audiences, lookup, clock);
      Map<String, Object> verdict = new LinkedHashMap<>();
      try {
        SessionTokenVerifier.Claims claims = verifier.verify(c.path("token").asText());
        verdict.put("verdict", "accepted");
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("iss", claims.iss());
        fields.put("sub", claims.sub());
        fields.put("unionid", claims.unionid() == null ? "" : claims.unionid());
        fields.put("aid", claims.aid());
        fields.put("sv", claims.sv());
        fields.put("iat", claims.iat());
        fields.put("exp", claims.exp());
        fields.put("aud", claims.aud() == null ? "" : claims.aud());
        verdict.put("claims", fields);
      } catch (SessionTokenVerifier.TokenRejectedException e) {
        verdict.put("verdict", "refused");
        verdict.put("reason", e.reason);
      }
      out.println(json.writeValueAsString(verdict));
    }
  }
}
