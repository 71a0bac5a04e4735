{{/* Names and labels. */}}
{{- define "repute.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}{{ .Release.Name | trunc 50 | trimSuffix "-" }}{{- else -}}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" }}{{- end -}}
{{- end -}}

{{- define "repute.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: repute
{{- end -}}

{{/* Selector labels of one service: (dict "root" $ "name" "edge"). */}}
{{- define "repute.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "repute.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}{{ default (include "repute.fullname" .) .Values.serviceAccount.name }}{{- else -}}{{ default "default" .Values.serviceAccount.name }}{{- end -}}
{{- end -}}

{{- define "repute.secretName" -}}
{{- if .Values.secrets.existingSecret -}}{{ .Values.secrets.existingSecret }}{{- else -}}{{ include "repute.fullname" . }}{{- end -}}
{{- end -}}

{{- define "repute.image" -}}
{{ .Values.image.repository }}:{{ default .Chart.AppVersion .Values.image.tag }}
{{- end -}}

{{/* The services this chart knows, in order. */}}
{{- define "repute.services" -}}edge ingest correlator analyst{{- end -}}

{{/* A value as an environment string: numbers without exponent (67108864, not 6.7108864e+07). */}}
{{- define "repute.envString" -}}
{{- if or (kindIs "float64" .) (kindIs "int64" .) (kindIs "int" .) -}}{{ toJson . }}{{- else -}}{{ toString . }}{{- end -}}
{{- end -}}

{{/*
The environment of one service as JSON: the shared `config` variables that service reads, then
its own `config`, then HOST and PORT. Every name is checked against files/config-variables.json
(generated from the services' schemas): a name no service reads, a name this service does not
read in its own block, or a secret variable outside `secrets` fails the render.
*/}}
{{- define "repute.env" -}}
{{- $root := .root -}}
{{- $name := .name -}}
{{- $all := (fromJson ($root.Files.Get "files/config-variables.json")).services -}}
{{- $known := index $all $name -}}
{{- $svc := index $root.Values $name -}}
{{- $out := dict -}}
{{- range $k, $v := $root.Values.config -}}
  {{- $anywhere := false -}}
  {{- range $s, $vars := $all -}}{{- if hasKey $vars $k -}}{{- $anywhere = true -}}{{- end -}}{{- end -}}
  {{- if not $anywhere -}}{{- fail (printf "config.%s: no Repute service reads this variable (see files/config-variables.json)" $k) -}}{{- end -}}
  {{- if hasKey $known $k -}}
    {{- if (index $known $k).secret -}}{{- fail (printf "config.%s is a secret: set it under secrets" $k) -}}{{- end -}}
    {{- $_ := set $out $k (include "repute.envString" $v) -}}
  {{- end -}}
{{- end -}}
{{- range $k, $v := $svc.config -}}
  {{- if not (hasKey $known $k) -}}{{- fail (printf "%s.config.%s: the %s service does not read this variable (see files/config-variables.json)" $name $k $name) -}}{{- end -}}
  {{- if (index $known $k).secret -}}{{- fail (printf "%s.config.%s is a secret: set it under secrets" $name $k) -}}{{- end -}}
  {{- $_ := set $out $k (include "repute.envString" $v) -}}
{{- end -}}
{{- $_ := set $out "HOST" "0.0.0.0" -}}
{{- $_ := set $out "PORT" (toString $svc.port) -}}
{{- toJson $out -}}
{{- end -}}

{{/* Secret variables a service reads (names), as JSON. */}}
{{- define "repute.secretVars" -}}
{{- $all := (fromJson (.root.Files.Get "files/config-variables.json")).services -}}
{{- $names := list -}}
{{- range $k, $v := index $all .name -}}{{- if $v.secret -}}{{- $names = append $names $k -}}{{- end -}}{{- end -}}
{{- toJson $names -}}
{{- end -}}

{{/* terminationGracePeriodSeconds above the drain: preStop + ceil(SHUTDOWN_DRAIN_MS / 1000) + margin. */}}
{{- define "repute.terminationGrace" -}}
{{- $env := fromJson (include "repute.env" .) -}}
{{- $drainMs := int64 (default "10000" (index $env "SHUTDOWN_DRAIN_MS")) -}}
{{- $g := .root.Values.terminationGrace -}}
{{- add (int64 $g.preStopSeconds) (div (add $drainMs 999) 1000) (int64 $g.marginSeconds) -}}
{{- end -}}
