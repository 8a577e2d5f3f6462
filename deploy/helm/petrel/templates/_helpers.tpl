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
