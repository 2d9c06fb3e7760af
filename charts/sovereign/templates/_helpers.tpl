{{/*
The chart name, or nameOverride.
*/}}
{{- define "sovereign.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The prefix of every object's name: fullnameOverride, else <release>-<name>, else <release>
when the release name already contains the chart name. Truncated to 63 characters (DNS).
*/}}
{{- define "sovereign.fullname" -}}
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

{{/*
chart-version, for the helm.sh/chart label.
*/}}
{{- define "sovereign.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels on every object.
*/}}
{{- define "sovereign.labels" -}}
helm.sh/chart: {{ include "sovereign.chart" . }}
{{ include "sovereign.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: sovereign
{{- end }}

{{/*
Labels that select the webhook Pods.
*/}}
{{- define "sovereign.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sovereign.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
The ServiceAccount the webhook runs as.
*/}}
{{- define "sovereign.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "sovereign.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
"true" in out-of-cluster mode (webhook.url set), else empty. In that mode only the CRD, the
RBAC and the ValidatingWebhookConfiguration are rendered.
*/}}
{{- define "sovereign.urlMode" -}}
{{- if .Values.webhook.url }}true{{ end }}
{{- end }}

{{/*
The container image: repository@digest, or repository:tag (tag defaults to appVersion).
*/}}
{{- define "sovereign.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
The Secret holding ca.crt, tls.crt and tls.key, mounted at /tls.
*/}}
{{- define "sovereign.tlsSecretName" -}}
{{- printf "%s-tls" (include "sovereign.fullname" .) }}
{{- end }}

{{/*
The serving certificate Certificate (cert-manager mode), also named in inject-ca-from.
*/}}
{{- define "sovereign.servingCertificateName" -}}
{{- printf "%s-serving" (include "sovereign.fullname" .) }}
{{- end }}

{{/*
The DNS names the API server may use to reach the webhook Service.
*/}}
{{- define "sovereign.dnsNames" -}}
{{- $svc := include "sovereign.fullname" . }}
{{- $ns := .Release.Namespace }}
{{- list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.%s" $svc $ns .Values.clusterDomain) | toJson }}
{{- end }}

{{/*
The namespaces the webhooks never see: kube-system, the release namespace and
webhook.exemptNamespaces, as a JSON list.
*/}}
{{- define "sovereign.exemptNamespaces" -}}
{{- concat (list "kube-system" .Release.Namespace) .Values.webhook.exemptNamespaces | uniq | toJson }}
{{- end }}

{{/*
The in-chart TLS material (no cert-manager, in-cluster mode) as JSON with base64 values
{"ca.crt", "tls.crt", "tls.key"}. Generated once: when the Secret already exists in the
cluster with all three keys (helm upgrade), its content is kept. The result is cached in
.Values for the rest of this render, so the Secret and the webhook's caBundle always agree.
*/}}
{{- define "sovereign.tlsData" -}}
{{- if not (hasKey .Values "__sovereignTLS") }}
{{- $existing := (lookup "v1" "Secret" .Release.Namespace (include "sovereign.tlsSecretName" .)).data | default dict }}
{{- $data := dict }}
{{- if and (hasKey $existing "ca.crt") (hasKey $existing "tls.crt") (hasKey $existing "tls.key") }}
{{- $data = dict "ca.crt" (index $existing "ca.crt") "tls.crt" (index $existing "tls.crt") "tls.key" (index $existing "tls.key") }}
{{- else }}
{{- $days := int .Values.tls.validityDays }}
{{- $ca := genCA (printf "%s-ca" (include "sovereign.fullname" .)) $days }}
{{- $dnsNames := include "sovereign.dnsNames" . | fromJsonArray }}
{{- $cert := genSignedCert (include "sovereign.fullname" .) nil $dnsNames $days $ca }}
{{- $data = dict "ca.crt" ($ca.Cert | b64enc) "tls.crt" ($cert.Cert | b64enc) "tls.key" ($cert.Key | b64enc) }}
{{- end }}
{{- $_ := set .Values "__sovereignTLS" $data }}
{{- end }}
{{- get .Values "__sovereignTLS" | toJson }}
{{- end }}

{{/*
The base64 CA bundle for the webhook's clientConfig; empty in cert-manager mode, where the
CA injector fills it. In url mode webhook.caBundle is required (a PEM is encoded for you).
*/}}
{{- define "sovereign.caBundle" -}}
{{- if include "sovereign.urlMode" . }}
{{- $bundle := required "webhook.caBundle is required when webhook.url is set: pass the base64-encoded PEM of the CA that signed the out-of-cluster server's certificate, e.g. --set webhook.caBundle=$(base64 -w0 ca.crt)" .Values.webhook.caBundle | trim }}
{{- if hasPrefix "-----BEGIN" $bundle }}
{{- printf "%s\n" $bundle | b64enc }}
{{- else }}
{{- $bundle }}
{{- end }}
{{- else if not .Values.certManager.enabled }}
{{- index (include "sovereign.tlsData" . | fromJson) "ca.crt" }}
{{- end }}
{{- end }}

{{/*
The server's --request-timeout: requestTimeoutSeconds, else 80% of the smaller webhook
timeout, so the server always answers before the API server gives up.
*/}}
{{- define "sovereign.requestTimeout" -}}
{{- if not (kindIs "invalid" .Values.requestTimeoutSeconds) }}
{{- .Values.requestTimeoutSeconds }}
{{- else }}
{{- $t := min (int .Values.webhook.timeoutSeconds) (int .Values.webhook.binding.timeoutSeconds) }}
{{- mulf $t 0.8 }}
{{- end }}
{{- end }}

{{/*
policy/v1 PodDisruptionBudget from Kubernetes 1.21, policy/v1beta1 before.
*/}}
{{- define "sovereign.pdbApiVersion" -}}
{{- if semverCompare ">=1.21-0" .Capabilities.KubeVersion.Version }}policy/v1{{ else }}policy/v1beta1{{ end }}
{{- end }}

{{/*
The webhooks' clientConfig: the in-cluster Service, or webhook.url + /validate in url mode;
with the caBundle unless cert-manager injects it.
*/}}
{{- define "sovereign.clientConfig" -}}
{{- $caBundle := include "sovereign.caBundle" . }}
{{- if include "sovereign.urlMode" . }}
url: {{ printf "%s/validate" (trimSuffix "/" .Values.webhook.url) | quote }}
{{- else }}
service:
  name: {{ include "sovereign.fullname" . }}
  namespace: {{ .Release.Namespace }}
  path: /validate
  port: {{ .Values.service.port }}
{{- end }}
{{- with $caBundle }}
caBundle: {{ . }}
{{- end }}
{{- end }}

{{/*
"true" where the API server knows webhook matchConditions (Kubernetes 1.28+), else empty.
*/}}
{{- define "sovereign.matchConditions" -}}
{{- if semverCompare ">=1.28-0" .Capabilities.KubeVersion.Version }}true{{ end }}
{{- end }}

{{/*
The CronJob versions the object webhook matches: batch/v1 from Kubernetes 1.21, which also
still served batch/v1beta1 up to 1.24; 1.20 serves batch/v1beta1 only.
*/}}
{{- define "sovereign.cronJobVersions" -}}
{{- if semverCompare ">=1.25-0" .Capabilities.KubeVersion.Version }}["v1"]{{ else }}["v1", "v1beta1"]{{ end }}
{{- end }}
