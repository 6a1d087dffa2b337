{{/*
The release's name prefix: the release name, with the chart's name added unless it holds it already.
*/}}
{{- define "kindpakket.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The five services, in the order they are rendered. */}}
{{- define "kindpakket.services" -}}
regie signalling application provision dashboard
{{- end -}}

{{/* The services that seal personal data, with a master keys file and the pseudonym key. */}}
{{- define "kindpakket.sealing" -}}
signalling application provision
{{- end -}}

{{- define "kindpakket.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one service: (dict "root" $ "service" "regie"). */}}
{{- define "kindpakket.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .service }}
{{- end -}}

{{- define "kindpakket.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag }}
{{- end -}}

{{/* The pod's security context: never root, its own group for the mounted Secrets. */}}
{{- define "kindpakket.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65534
runAsGroup: 65534
fsGroup: 65534
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* A container's: read-only root file system, no privilege escalation, no capabilities. */}}
{{- define "kindpakket.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop: ["ALL"]
{{- end -}}

{{/*
The volumes of one service's pod, (dict "root" $ "service" "regie"): the CAs, the identity provider's
keys, the service's own master keys (if it seals), and a writable /tmp. A migration Job ("job" true)
gets only PostgreSQL's CA, the master keys and /tmp.
*/}}
{{- define "kindpakket.volumes" -}}
{{- $secrets := .root.Values.secrets -}}
- name: postgres-ca
  secret:
    secretName: {{ $secrets.postgresCa }}
    defaultMode: 0440
{{- if not .job }}
- name: nats-ca
  secret:
    secretName: {{ $secrets.natsCa }}
    defaultMode: 0440
- name: idp
  secret:
    secretName: {{ $secrets.identityProvider }}
    defaultMode: 0440
{{- end }}
{{- if has .service (splitList " " (include "kindpakket.sealing" .root)) }}
- name: master-keys
  secret:
    secretName: {{ $secrets.masterKeys }}
    defaultMode: 0440
    items:
      - key: {{ .service }}
        path: master.json
{{- end }}
- name: tmp
  emptyDir:
    sizeLimit: 256Mi
{{- end -}}

{{- define "kindpakket.volumeMounts" -}}
- { name: postgres-ca, mountPath: /etc/kindpakket/postgres, readOnly: true }
{{- if not .job }}
- { name: nats-ca, mountPath: /etc/kindpakket/nats, readOnly: true }
- { name: idp, mountPath: /etc/kindpakket/idp, readOnly: true }
{{- end }}
{{- if has .service (splitList " " (include "kindpakket.sealing" .root)) }}
- { name: master-keys, mountPath: /etc/kindpakket/keys, readOnly: true }
{{- end }}
- { name: tmp, mountPath: /tmp }
{{- end -}}

{{/*
The database URLs of one service from the Secret (its own login role's), (dict "root" $ "service" …).
*/}}
{{- define "kindpakket.databaseEnv" -}}
{{- $databases := .root.Values.secrets.databases -}}
- name: KINDPAKKET_DATABASE_URL
  valueFrom: { secretKeyRef: { name: {{ $databases }}, key: {{ .service }} } }
{{- if eq .service "application" }}
- name: KINDPAKKET_VAULT_DATABASE_URL
  valueFrom: { secretKeyRef: { name: {{ $databases }}, key: application-vault } }
- name: KINDPAKKET_VAULT_KEYS_DATABASE_URL
  valueFrom: { secretKeyRef: { name: {{ $databases }}, key: application-vault-keys } }
{{- end }}
{{- end -}}

{{/* Refuses a release that would install nothing, or the database together with its migrations. */}}
{{- define "kindpakket.checkParts" -}}
{{- if and .Values.platform.enabled .Values.postgres.enabled -}}
{{- fail "platform.enabled and postgres.enabled in one release: the migration Jobs run before the release's other resources, so the database would not exist yet. Install PostgreSQL as a release of its own first (deploy/README.md)." -}}
{{- end -}}
{{- if not (or .Values.platform.enabled .Values.postgres.enabled) -}}
{{- fail "neither platform.enabled nor postgres.enabled: this release would install nothing" -}}
{{- end -}}
{{- end -}}
