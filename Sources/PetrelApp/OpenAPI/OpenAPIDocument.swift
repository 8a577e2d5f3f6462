/// The OpenAPI 3.1 description served at `/openapi.yaml`. Kept in Swift so the binary is
/// self-contained (no resource bundle to ship beside it); the tests check that every route the
/// router serves is described here and every described operation is served.
public enum OpenAPIDocument {
    public static let yaml = #"""
        openapi: 3.1.0
        info:
          title: Petrel
          version: 1.0.0
          description: |
            Petrel's HTTP API. Every response carries X-Request-ID; every error body has the
            shape of the Error schema. Writes and operator endpoints need an API key, sent as
            X-API-Key or Authorization: Bearer (with no keys configured they are refused, except
            with APP_ENV=development).
        servers:
          - url: http://127.0.0.1:8080
        tags:
          - name: info
          - name: probes
          - name: operations
          - name: faults
          - name: hits
          - name: cities
        paths:
          /:
            get:
              tags: [info]
              operationId: getServiceInfo
              summary: Service name, version, environment, uptime and where it runs.
              responses:
                "200":
                  description: Service info.
                  headers: { X-Request-ID: { $ref: "#/components/headers/RequestID" } }
                  content:
                    application/json:
                      schema: { $ref: "#/components/schemas/ServiceInfo" }
                default: { $ref: "#/components/responses/Error" }
          /hello:
            get:
              tags: [info]
              operationId: getHello
              summary: A greeting, with the pod, node and namespace that answered.
              parameters:
                - name: name
                  in: query
                  required: false
                  description: Who to greet; 1 to 64 letters, digits, spaces or ' - .
                  schema: { type: string, minLength: 1, maxLength: 64, pattern: "^[\\p{L}\\p{M}0-9 '.-]*[\\p{L}\\p{M}0-9'.-][\\p{L}\\p{M}0-9 '.-]*$" }
              responses:
                "200":
                  description: The greeting.
                  headers: { X-Request-ID: { $ref: "#/components/headers/RequestID" } }
                  content:
                    application/json:
                      schema: { $ref: "#/components/schemas/Greeting" }
                "400": { $ref: "#/components/responses/Error" }
                default: { $ref: "#/components/responses/Error" }
          /version:
            get:
              tags: [info]
              operationId: getVersion
              summary: Version, git commit and build date.
              responses:
                "200":
                  description: Build information.
                  headers: { X-Request-ID: { $ref: "#/components/headers/RequestID" } }
                  content:
                    application/json:
                      schema: { $ref: "#/components/schemas/Version" }
                default: { $ref: "#/components/responses/Error" }
          /hits:
            get:
              tags: [hits]
              operationId: hit
              summary: Count one more hit on the counter every replica shares, and say how many.
              responses:
                "200": { $ref: "#/components/responses/HitCount" }
                "503": { $ref: "#/components/responses/Error" }
                default: { $ref: "#/components/responses/Error" }
            head:
              tags: [hits]
              operationId: hitHeaders
              summary: The headers GET would send, without counting (HEAD changes nothing).
              responses:
                "200": { description: The count can be read. }
                "503": { description: The counter's backend is unavailable. }
          /hits/current:
            get:
              tags: [hits]
              operationId: currentHits
              summary: The shared count, without counting.
              responses:
                "200": { $ref: "#/components/responses/HitCount" }
                "503": { $ref: "#/components/responses/Error" }
                default: { $ref: "#/components/responses/Error" }
          /cities:
            get:
              tags: [cities]
              operationId: listCities
              summary: A page of cities sorted by name (case-folded, by code point), optionally by name prefix.
              parameters:
                - name: prefix
                  in: query
                  description: Only names starting with this, matched like names (case-insensitive, NFC).
                  schema: { type: string, maxLength: 100, pattern: '^[^\x00-\x1F\x7F-\x9F\u2028\u2029]*$' }
                - name: limit
                  in: query
                  schema: { type: integer, minimum: 1, maximum: 100, default: 20 }
                - name: cursor
                  in: query
                  description: next_cursor from the previous page.
                  schema: { type: string, pattern: '^([A-Za-z0-9_-]{4})*([A-Za-z0-9_-]{2,3})?$' }
              responses:
                "200":
                  description: One page; next_cursor is null on the last one.
                  headers: { X-Request-ID: { $ref: "#/components/headers/RequestID" } }
                  content:
                    application/json:
                      schema: { $ref: "#/components/schemas/CityPage" }
                "400": { $ref: "#/components/responses/Error" }
                "503": { $ref: "#/components/responses/Error" }
                default: { $ref: "#/components/responses/Error" }
          /cities/{name}:
            parameters:
              - { $ref: "#/components/parameters/CityName" }
            get:
              tags: [cities]
              operationId: getCity
              summary: One city, with its ETag.
              parameters:
                - { $ref: "#/components/parameters/IfNoneMatch" }
              responses:
                "200": { $ref: "#/components/responses/City" }
                "304": { $ref: "#/components/responses/NotModified" }
                "400": { $ref: "#/components/responses/Error" }
                "404": { $ref: "#/components/responses/Error" }
                "503": { $ref: "#/components/responses/Error" }
                default: { $ref: "#/components/responses/Error" }
            put:
              tags: [cities]
              operationId: putCity
              summary: Create the city or replace its population (upsert).
              security: [{ apiKey: [] }, { bearer: [] }]
              parameters:
                - { $ref: "#/components/parameters/IfMatch" }
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [population]
                      additionalProperties: false
                      properties:
                        population: { $ref: "#/components/schemas/Population" }
              responses:
                "200": { $ref: "#/components/responses/City" }
                "201": { $ref: "#/components/responses/CityCreated" }
                "400": { $ref: "#/components/responses/Error" }
                "401": { $ref: "#/components/responses/Unauthorized" }
                "412": { $ref: "#/components/responses/Error" }
                "413": { $ref: "#/components/responses/Error" }
                "415": { $ref: "#/components/responses/Error" }
                "422": { $ref: "#/components/responses/Error" }
                "503": { $ref: "#/components/responses/Error" }
                default: { $ref: "#/components/responses/Error" }
            delete:
              tags: [cities]
              operationId: deleteCity
              summary: Remove the city.
              security: [{ apiKey: [] }, { bearer: [] }]
              parameters:
                - { $ref: "#/components/parameters/IfMatch" }
              responses:
                "204":
                  description: Deleted.
                  headers: { X-Request-ID: { $ref: "#/components/headers/RequestID" } }
                "400": { $ref: "#/components/responses/Error" }
                "401": { $ref: "#/components/responses/Unauthorized" }
                "404": { $ref: "#/components/responses/Error" }
                "412": { $ref: "#/components/responses/Error" }
                "503": { $ref: "#/components/responses/Error" }
                default: { $ref: "#/components/responses/Error" }
          /city:
            post:
              tags: [cities]
              operationId: postCity
              summary: The write-up's original upsert, with the name in the body.
              security: [{ apiKey: [] }, { bearer: [] }]
              parameters:
                - { $ref: "#/components/parameters/IfMatch" }
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [name, population]
                      additionalProperties: false
                      properties:
                        name: { $ref: "#/components/schemas/CityName" }
                        population: { $ref: "#/components/schemas/Population" }
              responses:
                "200": { $ref: "#/components/responses/City" }
                "201": { $ref: "#/components/responses/CityCreated" }
                "400": { $ref: "#/components/responses/Error" }
                "401": { $ref: "#/components/responses/Unauthorized" }
                "412": { $ref: "#/components/responses/Error" }
                "413": { $ref: "#/components/responses/Error" }
                "415": { $ref: "#/components/responses/Error" }
                "422": { $ref: "#/components/responses/Error" }
                "503": { $ref: "#/components/responses/Error" }
                default: { $ref: "#/components/responses/Error" }
          /city/{name}:
            parameters:
              - { $ref: "#/components/parameters/CityName" }
            get:
              tags: [cities]
              operationId: getCityOriginal
              summary: The write-up's original read; the same as GET /cities/{name}.
              parameters:
                - { $ref: "#/components/parameters/IfNoneMatch" }
              responses:
                "200": { $ref: "#/components/responses/City" }
                "304": { $ref: "#/components/responses/NotModified" }
                "400": { $ref: "#/components/responses/Error" }
                "404": { $ref: "#/components/responses/Error" }
                "503": { $ref: "#/components/responses/Error" }
                default: { $ref: "#/components/responses/Error" }
          /healthz: { $ref: "#/components/pathItems/Liveness" }
          /livez: { $ref: "#/components/pathItems/Liveness" }
          /alive: { $ref: "#/components/pathItems/Liveness" }
          /health: { $ref: "#/components/pathItems/Liveness" }
          /readiness: { $ref: "#/components/pathItems/Readiness" }
          /readyz: { $ref: "#/components/pathItems/Readiness" }
          /ready: { $ref: "#/components/pathItems/Readiness" }
          /readiness/disable:
            post:
              tags: [operations]
              operationId: disableReadiness
              summary: Take this instance out of rotation (readiness 503) without stopping it.
              security: [{ apiKey: [] }, { bearer: [] }]
              responses:
                "200": { $ref: "#/components/responses/ReadinessAnswer" }
                "503": { $ref: "#/components/responses/ReadinessAnswer" }
                "401": { $ref: "#/components/responses/Unauthorized" }
                default: { $ref: "#/components/responses/Error" }
          /readiness/enable:
            post:
              tags: [operations]
              operationId: enableReadiness
              summary: Put this instance back into rotation.
              security: [{ apiKey: [] }, { bearer: [] }]
              responses:
                "200": { $ref: "#/components/responses/ReadinessAnswer" }
                "503": { $ref: "#/components/responses/ReadinessAnswer" }
                "401": { $ref: "#/components/responses/Unauthorized" }
                default: { $ref: "#/components/responses/Error" }
          /status/{code}:
            get:
              tags: [faults]
              operationId: getStatus
              summary: Answers with the given HTTP status (fault injection).
              parameters:
                - name: code
                  in: path
                  required: true
                  schema:
                    type: integer
                    enum: \#(FaultRoutes.statusCodes.sorted())
              responses:
                "200":
                  description: The requested status, with body {"status":"<code>"} (204 and 304 have no body).
                  headers: { X-Request-ID: { $ref: "#/components/headers/RequestID" } }
                  content:
                    application/json:
                      schema: { type: object, required: [status], properties: { status: { type: string } } }
                default:
                  description: The requested status, or an error for a code not in the list.
                  headers: { X-Request-ID: { $ref: "#/components/headers/RequestID" } }
                  content:
                    application/json:
                      schema:
                        oneOf:
                          - { type: object, required: [status], properties: { status: { type: string } } }
                          - { $ref: "#/components/schemas/Error" }
          /delay/{seconds}:
            get:
              tags: [faults]
              operationId: getDelay
              summary: Answers after the given number of seconds, at most 10 (fault injection).
              parameters:
                - { name: seconds, in: path, required: true, schema: { type: number, minimum: 0, maximum: 10 } }
              responses:
                "200":
                  description: Answered after the delay.
                  headers: { X-Request-ID: { $ref: "#/components/headers/RequestID" } }
                  content:
                    application/json:
                      schema: { type: object, required: [delayed_seconds], properties: { delayed_seconds: { type: string } } }
                "400": { $ref: "#/components/responses/Error" }
                default: { $ref: "#/components/responses/Error" }
          /faults:
            get:
              tags: [faults]
              operationId: getFaults
              summary: The current fault injection settings.
              responses:
                "200": { $ref: "#/components/responses/FaultSettings" }
                default: { $ref: "#/components/responses/Error" }
          /faults/enable:
            post:
              tags: [faults]
              operationId: enableFaults
              summary: Turn fault injection on, optionally changing its rate and delay.
              security: [{ apiKey: [] }, { bearer: [] }]
              requestBody:
                required: false
                content:
                  application/json:
                    schema:
                      type: object
                      properties:
                        error_rate: { type: number, minimum: 0, maximum: 1 }
                        delay_ms: { type: integer, minimum: 0, maximum: 10000 }
              responses:
                "200": { $ref: "#/components/responses/FaultSettings" }
                "400": { $ref: "#/components/responses/Error" }
                "401": { $ref: "#/components/responses/Unauthorized" }
                default: { $ref: "#/components/responses/Error" }
          /faults/disable:
            post:
              tags: [faults]
              operationId: disableFaults
              summary: Turn fault injection off.
              security: [{ apiKey: [] }, { bearer: [] }]
              responses:
                "200": { $ref: "#/components/responses/FaultSettings" }
                "401": { $ref: "#/components/responses/Unauthorized" }
                default: { $ref: "#/components/responses/Error" }
          /metrics:
            get:
              tags: [operations]
              operationId: getMetrics
              summary: Prometheus text exposition.
              responses:
                "200":
                  description: Metrics.
                  headers: { X-Request-ID: { $ref: "#/components/headers/RequestID" } }
                  content:
                    text/plain:
                      schema: { type: string }
                default: { $ref: "#/components/responses/Error" }
          /openapi.yaml:
            get:
              tags: [operations]
              operationId: getOpenAPI
              summary: This document.
              responses:
                "200":
                  description: The OpenAPI document.
                  headers: { X-Request-ID: { $ref: "#/components/headers/RequestID" } }
                  content:
                    application/yaml:
                      schema: { type: object }
                default: { $ref: "#/components/responses/Error" }
        components:
          securitySchemes:
            apiKey: { type: apiKey, in: header, name: X-API-Key }
            bearer: { type: http, scheme: bearer, description: The same API key as a bearer token. }
          parameters:
            CityName:
              name: name
              in: path
              required: true
              description: The city's name, percent-encoded; matched case-insensitively and after Unicode NFC normalisation.
              schema: { $ref: "#/components/schemas/CityName" }
            IfMatch:
              name: If-Match
              in: header
              description: Write only if the city is still at one of these ETags ("*" - only if it exists); 412 otherwise, also when malformed.
              schema: { $ref: "#/components/schemas/EntityTags" }
            IfNoneMatch:
              name: If-None-Match
              in: header
              description: Answer 304 without a body when the city is still at one of these ETags (a malformed value is ignored).
              schema: { type: string }
          headers:
            RequestID:
              description: "The caller's X-Request-ID when valid (1-128 of A-Z a-z 0-9 . _ : -), else a new one."
              schema: { type: string, pattern: "^[A-Za-z0-9._:-]{1,128}$" }
            ETag:
              description: The city's current version; send it back in If-Match to write only if nothing changed.
              schema: { type: string }
          pathItems:
            Liveness:
              get:
                tags: [probes]
                summary: Liveness; 200 while the process can serve. Checks no dependency.
                responses:
                  "200":
                    description: Alive.
                    headers: { X-Request-ID: { $ref: "#/components/headers/RequestID" } }
                    content:
                      application/json:
                        schema:
                          type: object
                          required: [status]
                          properties: { status: { const: UP } }
                  default: { $ref: "#/components/responses/Error" }
            Readiness:
              get:
                tags: [probes]
                summary: Readiness; 200 only when every gate is open, else 503 naming the failing ones.
                responses:
                  "200": { $ref: "#/components/responses/ReadinessAnswer" }
                  "503": { $ref: "#/components/responses/ReadinessAnswer" }
                  default: { $ref: "#/components/responses/Error" }
          responses:
            Error:
              description: An error, in the one shape every error has.
              headers: { X-Request-ID: { $ref: "#/components/headers/RequestID" } }
              content:
                application/json:
                  schema: { $ref: "#/components/schemas/Error" }
            Unauthorized:
              description: No valid API key (or none configured).
              headers:
                X-Request-ID: { $ref: "#/components/headers/RequestID" }
                WWW-Authenticate: { schema: { type: string } }
              content:
                application/json:
                  schema: { $ref: "#/components/schemas/Error" }
            City:
              description: The city.
              headers:
                X-Request-ID: { $ref: "#/components/headers/RequestID" }
                ETag: { $ref: "#/components/headers/ETag" }
              content:
                application/json:
                  schema: { $ref: "#/components/schemas/City" }
            CityCreated:
              description: The city, newly created.
              headers:
                X-Request-ID: { $ref: "#/components/headers/RequestID" }
                ETag: { $ref: "#/components/headers/ETag" }
                Location: { schema: { type: string } }
              content:
                application/json:
                  schema: { $ref: "#/components/schemas/City" }
            NotModified:
              description: The city is unchanged since the ETag in If-None-Match.
              headers:
                X-Request-ID: { $ref: "#/components/headers/RequestID" }
                ETag: { $ref: "#/components/headers/ETag" }
            HitCount:
              description: The count; text by default, JSON when the client accepts application/json.
              headers: { X-Request-ID: { $ref: "#/components/headers/RequestID" } }
              content:
                text/plain:
                  schema: { type: string, pattern: "^Holla! we have hit [0-9]+ times\\n$" }
                application/json:
                  schema:
                    type: object
                    required: [hits]
                    properties: { hits: { type: integer, minimum: 0 } }
            FaultSettings:
              description: Fault injection settings.
              headers: { X-Request-ID: { $ref: "#/components/headers/RequestID" } }
              content:
                application/json:
                  schema:
                    type: object
                    required: [enabled, error_rate, delay_ms]
                    properties:
                      enabled: { type: boolean }
                      error_rate: { type: number, minimum: 0, maximum: 1 }
                      delay_ms: { type: integer, minimum: 0 }
            ReadinessAnswer:
              description: Readiness with every gate and its state; when not ready, also an error.
              headers: { X-Request-ID: { $ref: "#/components/headers/RequestID" } }
              content:
                application/json:
                  schema: { $ref: "#/components/schemas/Readiness" }
          schemas:
            CityName:
              type: string
              minLength: 1
              maxLength: 100
              description: Trimmed of spaces; no control characters or line separators.
              pattern: '^[^\x00-\x1F\x7F-\x9F\u2028\u2029]*[^\s\x00-\x1F\x7F-\x9F\u2028\u2029][^\x00-\x1F\x7F-\x9F\u2028\u2029]*$'
            Population: { type: integer, minimum: 0, maximum: 10000000000 }
            EntityTags:
              description: '"*" or a comma-separated list of entity tags, each quoted and optionally weak (W/).'
              type: string
              pattern: '^[ \t]*(\*|(W/)?"[\x21\x23-\x7E\x80-\xFF]*"([ \t]*,[ \t]*(W/)?"[\x21\x23-\x7E\x80-\xFF]*")*)[ \t]*$'
            City:
              type: object
              required: [name, population, updated_at]
              properties:
                name: { type: string }
                population: { $ref: "#/components/schemas/Population" }
                updated_at: { type: string, format: date-time }
            CityPage:
              type: object
              required: [cities, next_cursor]
              properties:
                cities: { type: array, items: { $ref: "#/components/schemas/City" } }
                next_cursor: { type: [string, "null"] }
            Error:
              type: object
              required: [error]
              properties:
                error:
                  type: object
                  required: [code, message, request_id]
                  properties:
                    code: { type: string, examples: [not_found, invalid_request, dependency_unavailable] }
                    message: { type: string }
                    request_id: { type: string }
            ServiceInfo:
              type: object
              required: [name, version, environment, uptime_seconds, pod, node, namespace]
              properties:
                name: { type: string }
                version: { type: string }
                environment: { type: string, enum: [development, staging, production] }
                uptime_seconds: { type: number, minimum: 0 }
                pod: { type: string }
                node: { type: string }
                namespace: { type: string }
            Greeting:
              type: object
              required: [message, pod, node, namespace]
              properties:
                message: { type: string }
                pod: { type: string }
                node: { type: string }
                namespace: { type: string }
            Version:
              type: object
              required: [version, commit, build_date]
              properties:
                version: { type: string }
                commit: { type: string }
                build_date: { type: string }
            Readiness:
              type: object
              required: [status, checks]
              properties:
                status: { type: string, enum: [READY, NOT_READY] }
                checks:
                  type: object
                  additionalProperties: { type: string }
                error:
                  $ref: "#/components/schemas/Error/properties/error"
        """#
}
