{{/*
Names, labels and the pieces every TeslaSync container shares (env, volumes, mounts).
*/}}

{{/* The chart name, or nameOverride. */}}
{{- define "teslasync.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The full name: fullnameOverride, else "<release>-<name>" (just the release if it holds the name). */}}
{{- define "teslasync.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* "<chart>-<version>" for the helm.sh/chart label. */}}
{{- define "teslasync.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels on every resource. */}}
{{- define "teslasync.labels" -}}
helm.sh/chart: {{ include "teslasync.chart" . }}
{{ include "teslasync.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: teslasync
{{- end -}}

{{/* Labels that select the release's pods (add app.kubernetes.io/component to tell them apart). */}}
{{- define "teslasync.selectorLabels" -}}
app.kubernetes.io/name: {{ include "teslasync.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* The image reference: repository:tag, the tag defaulting to the chart's appVersion. */}}
{{- define "teslasync.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The Secret holding the database URL, the secret key and the broker URLs. */}}
{{- define "teslasync.secretName" -}}
{{- if .Values.secrets.existingSecret -}}
{{- .Values.secrets.existingSecret -}}
{{- else -}}
{{- include "teslasync.fullname" . -}}
{{- end -}}
{{- end -}}

{{/* The Secret the migration hook reads: a hook-scoped copy when the chart makes the Secret, since a
pre-install hook runs before the release's own resources exist. */}}
{{- define "teslasync.migrationSecretName" -}}
{{- if .Values.secrets.existingSecret -}}
{{- .Values.secrets.existingSecret -}}
{{- else -}}
{{- printf "%s-migration" (include "teslasync.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The data dir's claim. */}}
{{- define "teslasync.dataClaimName" -}}
{{- default (printf "%s-data" (include "teslasync.fullname" .)) .Values.persistence.existingClaim -}}
{{- end -}}

{{/* The backup dir's claim. */}}
{{- define "teslasync.backupClaimName" -}}
{{- default (printf "%s-backups" (include "teslasync.fullname" .)) .Values.backups.existingClaim -}}
{{- end -}}

{{/* Whether the data dir is a ReadWriteOnce claim ("true" or ""). */}}
{{- define "teslasync.dataIsReadWriteOnce" -}}
{{- if and .Values.persistence.enabled (has "ReadWriteOnce" .Values.persistence.accessModes) -}}
true
{{- end -}}
{{- end -}}

{{/* The identity headers each forward-auth preset's proxy answers with, as ingress-nginx passes them on
(authentik and authelia: TeslaSync's presets; oauth2-proxy in auth_request mode: X-Auth-Request-*). */}}
{{- define "teslasync.forwardAuthHeaders" -}}
{{- $preset := .Values.ingress.forwardAuth.preset -}}
{{- if eq $preset "authentik" -}}
X-authentik-username,X-authentik-email,X-authentik-name,X-authentik-groups
{{- else if eq $preset "authelia" -}}
Remote-User,Remote-Email,Remote-Name,Remote-Groups
{{- else if eq $preset "oauth2-proxy" -}}
X-Auth-Request-User,X-Auth-Request-Email,X-Auth-Request-Preferred-Username,X-Auth-Request-Groups
{{- end -}}
{{- end -}}

{{/* Stop the render with a clear message when the values cannot work. */}}
{{- define "teslasync.validate" -}}
{{- $preset := .Values.ingress.forwardAuth.preset -}}
{{- if not (has $preset (list "none" "authentik" "authelia" "oauth2-proxy")) -}}
{{- fail (printf "ingress.forwardAuth.preset must be none, authentik, authelia or oauth2-proxy, not %q" $preset) -}}
{{- end -}}
{{- if and (ne $preset "none") (not .Values.trustedProxies) -}}
{{- fail "ingress.forwardAuth.preset needs trustedProxies: the ingress controller pods' CIDR(s)" -}}
{{- end -}}
{{- if and (ne $preset "none") .Values.ingress.enabled .Values.ingress.forwardAuth.nginxAnnotations (not .Values.ingress.forwardAuth.url) -}}
{{- fail "ingress.forwardAuth.preset needs ingress.forwardAuth.url: the proxy's auth endpoint" -}}
{{- end -}}
{{- if not .Values.secrets.existingSecret -}}
{{- if not .Values.secrets.databaseUrl -}}
{{- fail "secrets.databaseUrl (or secrets.existingSecret) is required: TeslaSync on Kubernetes needs an external PostgreSQL" -}}
{{- end -}}
{{- if not (regexMatch "^postgres(ql)?(\\+asyncpg)?://" .Values.secrets.databaseUrl) -}}
{{- fail "secrets.databaseUrl must be a postgresql:// (or postgres://, postgresql+asyncpg://) URL" -}}
{{- end -}}
{{- if and (not .Values.secrets.secretKey) (not .Values.keyFile.existingSecret) -}}
{{- fail "secrets.secretKey (at least 32 characters, the same for every pod) or keyFile.existingSecret is required" -}}
{{- end -}}
{{- if and .Values.secrets.secretKey (lt (len .Values.secrets.secretKey) 32) -}}
{{- fail "secrets.secretKey must be at least 32 characters" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* An env value as a string; whole numbers (which Helm reads as floats) without an exponent. */}}
{{- define "teslasync.envValue" -}}
{{- if and (kindIs "float64" .) (eq (floor .) .) -}}
{{- int64 . | toString -}}
{{- else -}}
{{- toString . -}}
{{- end -}}
{{- end -}}

{{/*
The environment of every TeslaSync container. Call with (dict "root" $ "secretName" <Secret>), adding
"migration" true for the migration Job, which gets the database URL but no other secret. The chart's own
plain settings come first in one map that `env` overrides, so no name appears twice.
*/}}
{{- define "teslasync.env" -}}
{{- $root := .root -}}
{{- $values := $root.Values -}}
{{- $keys := $values.secrets.keys -}}
{{- $inline := not $values.secrets.existingSecret -}}
{{- $full := not (get . "migration") -}}
{{- $plain := dict "TESLASYNC_HOST" "0.0.0.0" "TESLASYNC_PORT" (toString $values.containerPort) "TESLASYNC_DATA_DIR" $values.persistence.mountPath -}}
{{- if $values.trustedProxies -}}
{{- $_ := set $plain "TESLASYNC_TRUSTED_PROXIES" (join "," $values.trustedProxies) -}}
{{- end -}}
{{- $preset := $values.ingress.forwardAuth.preset -}}
{{- if eq $preset "oauth2-proxy" -}}
{{- $_ := set $plain "TESLASYNC_FORWARD_AUTH" "custom" -}}
{{- $_ := set $plain "TESLASYNC_FORWARD_AUTH_USER_HEADER" "X-Auth-Request-User" -}}
{{- $_ := set $plain "TESLASYNC_FORWARD_AUTH_EMAIL_HEADER" "X-Auth-Request-Email" -}}
{{- $_ := set $plain "TESLASYNC_FORWARD_AUTH_NAME_HEADER" "X-Auth-Request-Preferred-Username" -}}
{{- $_ := set $plain "TESLASYNC_FORWARD_AUTH_GROUPS_HEADER" "X-Auth-Request-Groups" -}}
{{- else if ne $preset "none" -}}
{{- $_ := set $plain "TESLASYNC_FORWARD_AUTH" $preset -}}
{{- end -}}
{{- if $values.ingress.forwardAuth.allowedGroups -}}
{{- $_ := set $plain "TESLASYNC_FORWARD_AUTH_ALLOWED_GROUPS" (join "," $values.ingress.forwardAuth.allowedGroups) -}}
{{- end -}}
{{- if $values.ingress.forwardAuth.adminGroups -}}
{{- $_ := set $plain "TESLASYNC_FORWARD_AUTH_ADMIN_GROUPS" (join "," $values.ingress.forwardAuth.adminGroups) -}}
{{- end -}}
{{- if $values.mqtt.sharedGroup -}}
{{- $_ := set $plain "TESLASYNC_MQTT_SHARED_GROUP" $values.mqtt.sharedGroup -}}
{{- end -}}
{{- if $values.commandProxy.url -}}
{{- $_ := set $plain "TESLASYNC_COMMAND_PROXY_URL" $values.commandProxy.url -}}
{{- end -}}
{{- if $values.commandProxy.ca.existingSecret -}}
{{- $_ := set $plain "TESLASYNC_COMMAND_PROXY_CA_FILE" (printf "/etc/teslasync/command-proxy/%s" $values.commandProxy.ca.key) -}}
{{- end -}}
{{- if $values.keyFile.existingSecret -}}
{{- $_ := set $plain "TESLASYNC_KEY_FILE" (printf "/etc/teslasync/keys/%s" $values.keyFile.key) -}}
{{- end -}}
{{- if $values.backups.enabled -}}
{{- $_ := set $plain "TESLASYNC_BACKUP_DIR" $values.backups.mountPath -}}
{{- $_ := set $plain "TESLASYNC_BACKUP_EVERY_H" (include "teslasync.envValue" $values.backups.everyHours) -}}
{{- $_ := set $plain "TESLASYNC_BACKUP_KEEP" (include "teslasync.envValue" $values.backups.keep) -}}
{{- end -}}
{{- if eq (include "teslasync.externalWorkers" $root) "true" -}}
{{- $_ := set $plain "TESLASYNC_WORKERS" "external" -}}
{{- end -}}
{{- range $name, $value := $values.env -}}
{{- $_ := set $plain $name (include "teslasync.envValue" $value) -}}
{{- end -}}
{{- range $name, $value := $plain }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- if and $full $values.mqtt.clientIdFromPodName (not (hasKey $values.env "TESLASYNC_MQTT_CLIENT_ID")) }}
- name: TESLASYNC_MQTT_CLIENT_ID
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
{{- end }}
{{- if not (hasKey $values.env "TESLASYNC_DATABASE_URL") }}
- name: TESLASYNC_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ $keys.databaseUrl }}
{{- end }}
{{- if and $full (or (not $inline) $values.secrets.secretKey) }}
- name: TESLASYNC_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ $keys.secretKey }}
      {{- /* optional only beside a key file: pods must never each generate a key of their own */}}
      optional: {{ and (not $inline) (not (empty $values.keyFile.existingSecret)) }}
{{- end }}
{{- if and $full (or (not $inline) $values.secrets.mqttUrl) }}
- name: TESLASYNC_MQTT_URL
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ $keys.mqttUrl }}
      optional: {{ not $inline }}
{{- end }}
{{- if and $full (or (not $inline) $values.secrets.redisUrl) }}
- name: TESLASYNC_REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ $keys.redisUrl }}
      optional: {{ not $inline }}
{{- end }}
{{- with $values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The volumes of every TeslaSync pod. */}}
{{- define "teslasync.volumes" -}}
- name: data
{{- if .Values.persistence.enabled }}
  persistentVolumeClaim:
    claimName: {{ include "teslasync.dataClaimName" . }}
{{- else }}
  emptyDir: {}
{{- end }}
- name: tmp
  emptyDir: {}
{{- if .Values.keyFile.existingSecret }}
- name: key-file
  secret:
    secretName: {{ .Values.keyFile.existingSecret }}
    defaultMode: 0440
{{- end }}
{{- if .Values.commandProxy.ca.existingSecret }}
- name: command-proxy-ca
  secret:
    secretName: {{ .Values.commandProxy.ca.existingSecret }}
    defaultMode: 0444
{{- end }}
{{- if .Values.backups.enabled }}
- name: backups
  persistentVolumeClaim:
    claimName: {{ include "teslasync.backupClaimName" . }}
{{- end }}
{{- with .Values.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Where each volume is mounted in every TeslaSync container (the key file and the CA by directory, not
subPath, so that the kubelet's updates reach a running pod). */}}
{{- define "teslasync.volumeMounts" -}}
- name: data
  mountPath: {{ .Values.persistence.mountPath }}
- name: tmp
  mountPath: /tmp
{{- if .Values.keyFile.existingSecret }}
- name: key-file
  mountPath: /etc/teslasync/keys
  readOnly: true
{{- end }}
{{- if .Values.commandProxy.ca.existingSecret }}
- name: command-proxy-ca
  mountPath: /etc/teslasync/command-proxy
  readOnly: true
{{- end }}
{{- if .Values.backups.enabled }}
- name: backups
  mountPath: {{ .Values.backups.mountPath }}
{{- end }}
{{- with .Values.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The pod-level settings the API, the workers and the migration Job share. */}}
{{- define "teslasync.podSpecCommon" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
{{ toYaml . }}
{{- end }}
{{- with .Values.serviceAccountName }}
serviceAccountName: {{ . }}
{{- end }}
automountServiceAccountToken: false
{{- with .Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
securityContext:
{{ toYaml .Values.podSecurityContext | indent 2 }}
{{- with .Values.nodeSelector }}
nodeSelector:
{{ toYaml . | indent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The pods' annotations: podAnnotations, and a checksum that rolls the pods when the chart-made Secret
changes. */}}
{{- define "teslasync.podAnnotations" -}}
{{- if not .Values.secrets.existingSecret }}
checksum/secret: {{ include (print .Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end }}
{{- with .Values.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
"true" when the workers run as Deployments of their own (the API then runs none), "false" when the API runs
them all. TESLASYNC_WORKERS is all or nothing, so so are the workers.
*/}}
{{- define "teslasync.externalWorkers" -}}
{{- $w := .Values.workers -}}
{{- $enabled := list $w.exports.enabled $w.notifications.enabled $w.automations.enabled -}}
{{- if and (has true $enabled) (has false $enabled) -}}
{{- fail "workers: enable all three (exports, notifications, automations) or none: the API runs every queue's worker itself unless told that all run apart" -}}
{{- end -}}
{{- if and $w.exports.enabled (not (or $.Values.persistence.existingClaim (has "ReadWriteMany" $.Values.persistence.accessModes))) -}}
{{- fail "workers.exports: the API serves the files the exports worker writes into the data dir, so it must be shared: persistence.accessModes ReadWriteMany (or an existingClaim that is)" -}}
{{- end -}}
{{- ternary "true" "false" $w.exports.enabled -}}
{{- end -}}
