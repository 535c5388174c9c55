// Package deploy reads the Kubernetes manifests in deploy/k8s into the
// typed Kubernetes API objects, strictly, so that the tests here and in
// cmd/lorastudio can check them offline: a field Kubernetes does not know,
// a value of the wrong type or an environment variable that refers to a
// missing ConfigMap or Secret key is an error, not a surprise at deploy time.
// Only tests import it; no binary carries the Kubernetes API.
package deploy

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// Kustomization is the part of kustomization.yaml this directory uses.
type Kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Namespace  string   `json:"namespace"`
	Resources  []string `json:"resources"`
	Patches    []struct {
		Path string `json:"path"`
	} `json:"patches,omitempty"`
}

// Manifests are the objects of a kustomization directory, by kind.
type Manifests struct {
	Kustomization Kustomization
	Files         []string // resource files, in kustomization order
	Namespaces    []corev1.Namespace
	ConfigMaps    []corev1.ConfigMap
	Secrets       []corev1.Secret
	Services      []corev1.Service
	Deployments   []appsv1.Deployment
	StatefulSets  []appsv1.StatefulSet
	Jobs          []batchv1.Job
	PDBs          []policyv1.PodDisruptionBudget
}

var docSeparator = regexp.MustCompile(`(?m)^---[ \t]*$`)

// Load reads dir/kustomization.yaml and every resource it lists.
func Load(dir string) (*Manifests, error) {
	m := &Manifests{}
	b, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		return nil, err
	}
	if err := yaml.UnmarshalStrict(b, &m.Kustomization); err != nil {
		return nil, fmt.Errorf("kustomization.yaml: %w", err)
	}
	for _, f := range m.Kustomization.Resources {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			return nil, err
		}
		m.Files = append(m.Files, f)
		if err := m.addAll(f, b); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Parse reads a stream of YAML documents, such as the output of
// `kubectl kustomize`.
func Parse(b []byte) (*Manifests, error) {
	m := &Manifests{}
	return m, m.addAll("input", b)
}

func (m *Manifests) addAll(name string, b []byte) error {
	for i, doc := range docSeparator.Split(string(b), -1) {
		if err := m.add([]byte(doc)); err != nil {
			return fmt.Errorf("%s, document %d: %w", name, i+1, err)
		}
	}
	return nil
}

// add decodes one YAML document into its typed object; a document of
// comments only is skipped.
func (m *Manifests) add(doc []byte) error {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return err
	}
	if tm.APIVersion == "" && tm.Kind == "" {
		if len(bytes.TrimSpace(stripComments(doc))) == 0 {
			return nil
		}
		return fmt.Errorf("no apiVersion and kind")
	}
	strict := func(v any) error { return yaml.UnmarshalStrict(doc, v) }
	switch tm.APIVersion + " " + tm.Kind {
	case "v1 Namespace":
		return decode(strict, &m.Namespaces)
	case "v1 ConfigMap":
		return decode(strict, &m.ConfigMaps)
	case "v1 Secret":
		return decode(strict, &m.Secrets)
	case "v1 Service":
		return decode(strict, &m.Services)
	case "apps/v1 Deployment":
		return decode(strict, &m.Deployments)
	case "apps/v1 StatefulSet":
		return decode(strict, &m.StatefulSets)
	case "batch/v1 Job":
		return decode(strict, &m.Jobs)
	case "policy/v1 PodDisruptionBudget":
		return decode(strict, &m.PDBs)
	}
	return fmt.Errorf("unexpected %s %s: add it to deploy.Load so it is checked", tm.APIVersion, tm.Kind)
}

func decode[T any](strict func(any) error, into *[]T) error {
	var v T
	if err := strict(&v); err != nil {
		return err
	}
	*into = append(*into, v)
	return nil
}

func stripComments(doc []byte) []byte {
	var out []byte
	for line := range bytes.SplitSeq(doc, []byte("\n")) {
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '#' {
			out = append(out, line...)
		}
	}
	return out
}

// Deployment returns the Deployment called name, or nil.
func (m *Manifests) Deployment(name string) *appsv1.Deployment {
	for i := range m.Deployments {
		if m.Deployments[i].Name == name {
			return &m.Deployments[i]
		}
	}
	return nil
}

// SetSecret replaces the value of key in the Secret called name (the
// committed Secret is a template; tests put well-formed values in).
func (m *Manifests) SetSecret(name, key, value string) error {
	for i := range m.Secrets {
		if s := &m.Secrets[i]; s.Name == name {
			if _, ok := s.StringData[key]; !ok {
				return fmt.Errorf("secret %s has no key %s", name, key)
			}
			s.StringData[key] = value
			return nil
		}
	}
	return fmt.Errorf("no secret %s", name)
}

// Env is the environment container c sees: its envFrom sources, then its
// env entries, with every ConfigMap and Secret reference resolved. A
// reference to a missing object or key is an error unless it is optional.
func (m *Manifests) Env(c corev1.Container) (map[string]string, error) {
	env := map[string]string{}
	for _, from := range c.EnvFrom {
		var data map[string]string
		var err error
		switch {
		case from.ConfigMapRef != nil:
			data, err = m.configMap(from.ConfigMapRef.Name)
		case from.SecretRef != nil:
			data, err = m.secret(from.SecretRef.Name)
		default:
			err = fmt.Errorf("envFrom without a configMapRef or secretRef")
		}
		if err != nil {
			return nil, fmt.Errorf("container %s: %w", c.Name, err)
		}
		for k, v := range data {
			env[from.Prefix+k] = v
		}
	}
	for _, e := range c.Env {
		v, err := m.value(e)
		if err != nil {
			return nil, fmt.Errorf("container %s, env %s: %w", c.Name, e.Name, err)
		}
		env[e.Name] = v
	}
	return env, nil
}

func (m *Manifests) value(e corev1.EnvVar) (string, error) {
	if e.ValueFrom == nil {
		return e.Value, nil
	}
	var data map[string]string
	var key string
	var optional *bool
	var err error
	switch r := e.ValueFrom; {
	case r.ConfigMapKeyRef != nil:
		data, err = m.configMap(r.ConfigMapKeyRef.Name)
		key, optional = r.ConfigMapKeyRef.Key, r.ConfigMapKeyRef.Optional
	case r.SecretKeyRef != nil:
		data, err = m.secret(r.SecretKeyRef.Name)
		key, optional = r.SecretKeyRef.Key, r.SecretKeyRef.Optional
	default:
		return "", fmt.Errorf("valueFrom other than a ConfigMap or Secret key is not checked here")
	}
	if err != nil {
		return "", err
	}
	v, ok := data[key]
	if !ok && (optional == nil || !*optional) {
		return "", fmt.Errorf("key %s is missing", key)
	}
	return v, nil
}

func (m *Manifests) configMap(name string) (map[string]string, error) {
	for _, cm := range m.ConfigMaps {
		if cm.Name == name {
			return cm.Data, nil
		}
	}
	return nil, fmt.Errorf("no ConfigMap %s", name)
}

func (m *Manifests) secret(name string) (map[string]string, error) {
	for _, s := range m.Secrets {
		if s.Name == name {
			data := map[string]string{}
			for k, v := range s.Data {
				data[k] = string(v)
			}
			for k, v := range s.StringData {
				data[k] = v
			}
			return data, nil
		}
	}
	return nil, fmt.Errorf("no Secret %s", name)
}

// Keys returns the sorted keys of env.
func Keys(env map[string]string) []string {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
