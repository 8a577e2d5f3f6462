{{/* The chart's name in labels and names: nameOverride, else "petrel". */}}
{{- define "petrel.name" -}}
{{- .Values.nameOverride | default .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Resource name prefix: fullnameOverride; else the release name, or "<release>-<name>" when
the release name lacks the name. */}}
{{- define "petrel.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "petrel.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Selector labels for one component (api, redis, elasticsearch, es-snapshots, helm-test). */}}
{{- define "petrel.selectorLabels" -}}
app.kubernetes.io/name: {{ include "petrel.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "petrel.labels" -}}
{{ include "petrel.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Values.image.tag | default .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{/* Restricted-profile container security context, shared by every container. */}}
{{- define "petrel.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop: [ALL]
{{- end -}}

{{- define "petrel.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .uid }}
runAsGroup: {{ .gid }}
{{- if .fsGroup }}
fsGroup: {{ .fsGroup }}
{{- end }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* The Petrel image: repository:tag, pinned by @digest when image.digest is set (the tag then
only tells people which release it is; the digest decides what runs). */}}
{{- define "petrel.image" -}}
{{- $image := printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- with .Values.image.digest }}{{ $image = printf "%s@%s" $image . }}{{ end -}}
{{- $image -}}
{{- end -}}

{{/* The API keys Secret: apiKeys.existingSecret, else "<fullname>-api-keys" (made by the chart
from apiKeys.keys, or out of band under that name). */}}
{{- define "petrel.apiKeysSecret" -}}
{{- if and .Values.apiKeys.existingSecret .Values.apiKeys.keys -}}
{{- fail "apiKeys: set existingSecret (a Secret you created) or keys (the chart creates the Secret), not both" -}}
{{- end -}}
{{- .Values.apiKeys.existingSecret | default (printf "%s-api-keys" (include "petrel.fullname" .)) -}}
{{- end -}}

{{/* "true" when the Deployment runs exactly one pod: autoscaling off and replicaCount 1. */}}
{{- define "petrel.singleReplica" -}}
{{- if and (not .Values.autoscaling.enabled) (eq (int .Values.replicaCount) 1) }}true{{ end -}}
{{- end -}}

{{/* "true" when Petrel keeps a store in SQLite under /data (DATA_DIR): the counter without
Redis, the cities without Elasticsearch. */}}
{{- define "petrel.usesSQLite" -}}
{{- if or (not .Values.redis.enabled) (not .Values.elasticsearch.enabled) }}true{{ end -}}
{{- end -}}

{{/* "true" when /data is a PersistentVolumeClaim: a SQLite store and persistence.data.enabled.
Such a volume is ReadWriteOnce, so it needs a single replica (checked here). */}}
{{- define "petrel.dataClaim" -}}
{{- if and (include "petrel.usesSQLite" .) .Values.persistence.data.enabled -}}
{{- if not (include "petrel.singleReplica" .) -}}
{{- fail "persistence.data.enabled keeps the SQLite stores on one ReadWriteOnce volume: it needs replicaCount 1 and autoscaling.enabled false. To run several replicas, enable redis and elasticsearch (shared stores), or set persistence.data.enabled=false (each pod then keeps its own count and cities)" -}}
{{- end -}}
true
{{- end -}}
{{- end -}}

{{/* The data volume claim of a StatefulSet (Redis, Elasticsearch): dict "root" $ "storage" SIZE. */}}
{{- define "petrel.dataVolumeClaim" -}}
- metadata:
    name: data
  spec:
    accessModes: [ReadWriteOnce]
    {{- with (.storageClassName | default .root.Values.persistence.storageClassName) }}
    storageClassName: {{ . }}
    {{- end }}
    resources:
      requests: {storage: {{ .storage }}}
{{- end -}}

{{/* NetworkPolicy peers of a Gateway API route: httpRoute.from, else every pod in the namespaces
of its parentRefs (the release's namespace for a parentRef without one). */}}
{{- define "petrel.httpRoutePeers" -}}
{{- if .Values.httpRoute.from -}}
{{- toYaml .Values.httpRoute.from -}}
{{- else -}}
{{- $namespaces := list -}}
{{- range .Values.httpRoute.parentRefs -}}
{{- $namespaces = append $namespaces (.namespace | default $.Release.Namespace) -}}
{{- end -}}
{{- range $namespaces | uniq }}
- namespaceSelector:
    matchLabels: {kubernetes.io/metadata.name: {{ . }}}
{{- end -}}
{{- end -}}
{{- end -}}
