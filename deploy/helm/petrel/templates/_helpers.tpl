{{/* Resource name prefix: the release name, or "<release>-petrel" when it lacks "petrel". */}}
{{- define "petrel.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Selector labels for one component (api, redis, elasticsearch, es-snapshots, helm-test). */}}
{{- define "petrel.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
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

{{/* checkov skips shared by third-party images pinned by tag; each reason is the same everywhere. */}}
{{- define "petrel.checkovPinnedImage" -}}
checkov.io/skip2: CKV_K8S_43=pinned by an exact release tag; digests are not resolvable offline (Renovate/Dependabot bumps the tag)
checkov.io/skip3: CKV_K8S_15=IfNotPresent with an exact version tag; nodes pull once
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

{{/* The data volume claim of a StatefulSet (Redis, Elasticsearch): dict "root" $ "storage" SIZE. */}}
{{- define "petrel.dataVolumeClaim" -}}
- metadata:
    name: data
  spec:
    accessModes: [ReadWriteOnce]
    {{- with .root.Values.persistence.storageClassName }}
    storageClassName: {{ . }}
    {{- end }}
    resources:
      requests: {storage: {{ .storage }}}
{{- end -}}
