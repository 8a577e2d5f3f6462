{{/* A helm test pod: restricted, tiny, runs one shell script against the Service.
dict "root" $ "name" NAME "script" SCRIPT, and optionally "env" (a dict of variables) and
"apiKeyFrom" (a key of the API keys Secret, mounted at /etc/petrel-test/api-key if present). */}}
{{- define "petrel.testPod" -}}
apiVersion: v1
kind: Pod
metadata:
  name: {{ include "petrel.fullname" .root }}-test-{{ .name }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "petrel.labels" (dict "root" .root "component" "helm-test") | nindent 4 }}
  annotations:
    helm.sh/hook: test
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
    checkov.io/skip1: CKV_K8S_40=curlimages/curl runs as its own UID 100; runAsNonRoot and PSA restricted enforce non-root
    checkov.io/skip4: CKV_K8S_8=a one-shot test pod serves nothing a liveness probe could check
    checkov.io/skip5: CKV_K8S_9=a one-shot test pod serves nothing a readiness probe could check
spec:
  restartPolicy: Never
  automountServiceAccountToken: false
  {{- with .root.Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    {{- include "petrel.podSecurityContext" (dict "uid" 100 "gid" 101 "fsGroup" 101) | nindent 4 }}
  containers:
    - name: test
      image: {{ .root.Values.tests.image }}
      imagePullPolicy: IfNotPresent
      env:
        - name: BASE
          value: http://{{ include "petrel.fullname" .root }}.{{ .root.Release.Namespace }}.svc:{{ .root.Values.service.port }}
        {{- range $name, $value := .env }}
        - {name: {{ $name }}, value: {{ $value | quote }}}
        {{- end }}
      command: ["sh", "-euc"]
      args:
        - {{ .script | quote }}
      resources:
        requests: {cpu: 10m, memory: 16Mi}
        limits: {cpu: 100m, memory: 32Mi}
      securityContext:
        {{- include "petrel.containerSecurityContext" .root | nindent 8 }}
      {{- if .apiKeyFrom }}
      volumeMounts:
        - {name: api-key, mountPath: /etc/petrel-test, readOnly: true}
  # Optional, so that a missing key fails the script with a message instead of leaving the
  # pod waiting for a volume.
  volumes:
    - name: api-key
      secret:
        secretName: {{ include "petrel.apiKeysSecret" .root }}
        optional: true
        defaultMode: 0440
        items:
          - {key: {{ .apiKeyFrom }}, path: api-key}
      {{- end }}
{{- end -}}
