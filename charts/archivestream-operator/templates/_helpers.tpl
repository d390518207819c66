{{/* Names and labels shared by every template of the chart. */}}

{{- define "archivestream-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name, used for every namespaced object and as the peering name. */}}
{{- define "archivestream-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "archivestream-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "archivestream-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "archivestream-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "archivestream-operator.labels" -}}
helm.sh/chart: {{ include "archivestream-operator.chart" . }}
{{ include "archivestream-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: archivestream
{{- end }}

{{- define "archivestream-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "archivestream-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "archivestream-operator.peeringName" -}}
{{- default (include "archivestream-operator.fullname" .) .Values.peering.name }}
{{- end }}

{{- define "archivestream-operator.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
