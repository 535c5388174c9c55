package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/labels"

	"sigs.k8s.io/yaml"

	"github.com/promptforge/lorastudio/internal/dataset"
)

const k8sDir = "k8s"

func load(t *testing.T) *Manifests {
	t.Helper()
	m, err := Load(k8sDir)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Every YAML file in k8s/ is a resource of the kustomization, and the
// objects the operator needs are there.
func TestManifestsComplete(t *testing.T) {
	m := load(t)
	files, _ := filepath.Glob(filepath.Join(k8sDir, "*.yaml"))
	for _, f := range files {
		if b := filepath.Base(f); b != "kustomization.yaml" && !slices.Contains(m.Files, b) {
			t.Errorf("%s is not listed in kustomization.yaml's resources", b)
		}
	}
	if m.Kustomization.Kind != "Kustomization" || m.Kustomization.Namespace == "" {
		t.Errorf("kustomization: %+v", m.Kustomization)
	}
	if len(m.Namespaces) != 1 || m.Namespaces[0].Name != m.Kustomization.Namespace {
		t.Errorf("want the one Namespace %q, got %d", m.Kustomization.Namespace, len(m.Namespaces))
	}
	for _, d := range []string{"serve", "worker"} {
		if m.Deployment(d) == nil {
			t.Errorf("no Deployment %s", d)
		}
	}
	if len(m.Jobs) != 1 || !slices.Equal(m.Jobs[0].Spec.Template.Spec.Containers[0].Args, []string{"migrate"}) {
		t.Errorf("want one Job running `lorastudio migrate`")
	}
	ns := m.Kustomization.Namespace
	check := func(kind, name, got string) {
		if got != ns {
			t.Errorf("%s %s: namespace %q, want %q", kind, name, got, ns)
		}
	}
	for _, o := range m.ConfigMaps {
		check("ConfigMap", o.Name, o.Namespace)
	}
	for _, o := range m.Secrets {
		check("Secret", o.Name, o.Namespace)
	}
	for _, o := range m.Services {
		check("Service", o.Name, o.Namespace)
	}
	for _, o := range m.Deployments {
		check("Deployment", o.Name, o.Namespace)
	}
	for _, o := range m.Jobs {
		check("Job", o.Name, o.Namespace)
	}
	for _, o := range m.PDBs {
		check("PodDisruptionBudget", o.Name, o.Namespace)
	}
}

// A manifest Kubernetes would refuse or read differently fails Load.
func TestLoadRefusesBrokenManifests(t *testing.T) {
	serve, err := os.ReadFile(filepath.Join(k8sDir, "serve.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, old, new string }{
		{"unknown field", "  replicas: 3", "  replicas: 3\n  replica: 3"},
		{"misspelt probe field", "readinessProbe:\n            httpGet:", "readinessProbe:\n            httpGetx:"},
		{"wrong type", "  replicas: 3", "  replicas: three"},
		{"bad quantity", "ephemeral-storage: 6Gi", "ephemeral-storage: 6 GiB"},
		{"unknown kind", "kind: PodDisruptionBudget", "kind: PodDisruptionBudgets"},
		{"duplicate field", "  replicas: 3", "  replicas: 3\n  replicas: 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(string(serve), tc.old) {
				t.Fatalf("serve.yaml no longer has %q", tc.old)
			}
			dir := t.TempDir()
			for _, f := range append(load(t).Files, "kustomization.yaml") {
				b, err := os.ReadFile(filepath.Join(k8sDir, f))
				if err != nil {
					t.Fatal(err)
				}
				if f == "serve.yaml" {
					b = []byte(strings.Replace(string(b), tc.old, tc.new, 1))
				}
				if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := Load(dir); err == nil {
				t.Error("Load accepted it")
			} else {
				t.Log(err)
			}
		})
	}
}

type pod struct {
	name string
	spec corev1.PodSpec
}

func pods(m *Manifests) []pod {
	var out []pod
	for _, d := range m.Deployments {
		out = append(out, pod{"Deployment " + d.Name, d.Spec.Template.Spec})
	}
	for _, s := range m.StatefulSets {
		spec := *s.Spec.Template.Spec.DeepCopy()
		for _, c := range s.Spec.VolumeClaimTemplates { // each pod gets these volumes too
			spec.Volumes = append(spec.Volumes, corev1.Volume{Name: c.Name})
		}
		out = append(out, pod{"StatefulSet " + s.Name, spec})
	}
	for _, j := range m.Jobs {
		out = append(out, pod{"Job " + j.Name, j.Spec.Template.Spec})
	}
	return out
}

var imageTag = regexp.MustCompile(`^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9./_-]+(:[A-Za-z0-9._-]+|@sha256:[0-9a-f]{64})$`)

// The rules every pod follows: non-root, no privilege escalation, sized,
// a pinned image, and an environment whose references all resolve.
func TestPodRules(t *testing.T) {
	checkPods(t, load(t))
}

func checkPods(t *testing.T, m *Manifests) {
	for _, p := range pods(m) {
		t.Run(p.name, func(t *testing.T) {
			if len(p.spec.Containers) == 0 {
				t.Fatal("no containers")
			}
			podNonRoot := p.spec.SecurityContext != nil && p.spec.SecurityContext.RunAsNonRoot != nil && *p.spec.SecurityContext.RunAsNonRoot
			if p.spec.AutomountServiceAccountToken == nil || *p.spec.AutomountServiceAccountToken {
				t.Error("automountServiceAccountToken: none of the programs talks to the Kubernetes API")
			}
			for _, c := range append(p.spec.InitContainers, p.spec.Containers...) {
				sc := c.SecurityContext
				if !podNonRoot && (sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot) {
					t.Errorf("%s: runAsNonRoot is not set", c.Name)
				}
				if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
					t.Errorf("%s: allowPrivilegeEscalation is not false", c.Name)
				}
				if !imageTag.MatchString(c.Image) || strings.HasSuffix(c.Image, ":latest") {
					t.Errorf("%s: image %q: want registry/name:version or a digest, never latest", c.Name, c.Image)
				}
				for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
					req, lim := c.Resources.Requests[r], c.Resources.Limits[r]
					if r == corev1.ResourceCPU && c.Resources.Limits.Cpu().IsZero() && !req.IsZero() {
						continue // a GPU box's CPU is not worth throttling
					}
					if req.IsZero() || lim.IsZero() || req.Cmp(lim) > 0 {
						t.Errorf("%s: %s request %s, limit %s: want both, request <= limit", c.Name, r, req.String(), lim.String())
					}
				}
				if _, err := m.Env(c); err != nil {
					t.Error(err)
				}
				for _, vm := range c.VolumeMounts {
					if !slices.ContainsFunc(p.spec.Volumes, func(v corev1.Volume) bool { return v.Name == vm.Name }) {
						t.Errorf("%s: mounts volume %s, which the pod does not have", c.Name, vm.Name)
					}
				}
			}
		})
	}
}

// port resolves a probe's or Service's port (a number or a port name) to
// one of c's container ports; 0 when it is none of them.
func port(c corev1.Container, name string, num int32) int32 {
	for _, p := range c.Ports {
		if (name != "" && p.Name == name) || (name == "" && p.ContainerPort == num) {
			return p.ContainerPort
		}
	}
	return 0
}

func TestProbes(t *testing.T) {
	m := load(t)
	for _, d := range m.Deployments {
		for _, c := range d.Spec.Template.Spec.Containers {
			t.Run(d.Name+"/"+c.Name, func(t *testing.T) {
				for _, probe := range []struct {
					kind string
					p    *corev1.Probe
				}{{"readiness", c.ReadinessProbe}, {"liveness", c.LivenessProbe}} {
					if probe.p == nil || probe.p.HTTPGet == nil {
						t.Errorf("%s probe: want an httpGet", probe.kind)
						continue
					}
					g := probe.p.HTTPGet
					if port(c, g.Port.StrVal, g.Port.IntVal) == 0 {
						t.Errorf("%s probe: port %s is not a container port", probe.kind, g.Port.String())
					}
					if probe.kind == "readiness" && g.Path != "/healthz" {
						t.Errorf("readiness probe on %s, want /healthz", g.Path)
					}
				}
				// serve's /healthz answers 503 while Postgres is down: as a
				// liveness probe it would restart every replica during an
				// outage of the database instead of only taking them out of
				// the Service.
				if d.Name == "serve" && c.LivenessProbe != nil && c.LivenessProbe.HTTPGet != nil && c.LivenessProbe.HTTPGet.Path == "/healthz" {
					t.Error("serve's liveness probe must not depend on the database (/healthz does)")
				}
			})
		}
	}
}

func TestServe(t *testing.T) {
	m := load(t)
	d := m.Deployment("serve")
	if d == nil {
		t.Fatal("no serve Deployment")
	}
	if d.Spec.Replicas == nil || *d.Spec.Replicas < 3 {
		t.Errorf("replicas: want at least 3")
	}
	spec := d.Spec.Template.Spec
	c := spec.Containers[0]
	podLabels := labels.Set(d.Spec.Template.Labels)

	// serve listens on every interface, on the port the pod declares.
	addr := ""
	for i, a := range c.Args {
		if a == "--addr" && i+1 < len(c.Args) {
			addr = c.Args[i+1]
		}
	}
	host, p, _ := strings.Cut(addr, ":")
	n, _ := strconv.Atoi(p)
	if c.Args[0] != "serve" || host != "0.0.0.0" || port(c, "", int32(n)) == 0 {
		t.Errorf("args %q: want serve --addr 0.0.0.0:<a container port>", c.Args)
	}

	// serve writes temporary files under /tmp; with a read-only root it
	// needs a volume there.
	if sc := c.SecurityContext; sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Error("serve: want readOnlyRootFilesystem")
	} else if !slices.ContainsFunc(c.VolumeMounts, func(v corev1.VolumeMount) bool { return v.MountPath == "/tmp" && !v.ReadOnly }) {
		t.Error("serve: read-only root without a writable /tmp")
	}

	// The memory limit holds the decode budget, the hashing budget and
	// 256 MiB for the runtime, connections and buffers.
	env, err := m.Env(c)
	if err != nil {
		t.Fatal(err)
	}
	var decode int64 = dataset.DefaultDecodeMemory
	if v := env["LORASTUDIO_DECODE_MEMORY"]; v != "" {
		if decode, err = strconv.ParseInt(v, 10, 64); err != nil {
			t.Fatal(err)
		}
	}
	hashMB, err := strconv.ParseInt(env["LORASTUDIO_HASH_MEMORY_MB"], 10, 64)
	if err != nil {
		t.Fatalf("LORASTUDIO_HASH_MEMORY_MB must be set (its default follows the node's cores, not the pod's limit): %v", err)
	}
	need := resource.NewQuantity(decode+hashMB<<20+256<<20, resource.BinarySI)
	if lim := c.Resources.Limits.Memory(); lim.Cmp(*need) < 0 {
		t.Errorf("memory limit %s is below decode %d + hashing %d MiB + 256 MiB = %s", lim, decode, hashMB, need)
	}

	// A Service and a PodDisruptionBudget select the serve pods; the
	// budget leaves room to drain a node.
	var svc *corev1.Service
	for i := range m.Services {
		if labels.SelectorFromSet(m.Services[i].Spec.Selector).Matches(podLabels) && m.Services[i].Name == "serve" {
			svc = &m.Services[i]
		}
	}
	if svc == nil {
		t.Fatal("no Service serve selects the serve pods")
	}
	for _, sp := range svc.Spec.Ports {
		if port(c, sp.TargetPort.StrVal, sp.TargetPort.IntVal) == 0 {
			t.Errorf("Service port %s targets %s, not a container port", sp.Name, sp.TargetPort.String())
		}
	}
	found := false
	for _, pdb := range m.PDBs {
		if pdb.Spec.Selector == nil || len(pdb.Spec.Selector.MatchLabels) == 0 || !labels.SelectorFromSet(pdb.Spec.Selector.MatchLabels).Matches(podLabels) {
			continue
		}
		found = true
		if pdb.Spec.MinAvailable == nil || pdb.Spec.MinAvailable.IntValue() < 1 || pdb.Spec.MinAvailable.IntValue() >= int(*d.Spec.Replicas) {
			t.Errorf("PodDisruptionBudget %s: minAvailable %v, want 1 to replicas-1", pdb.Name, pdb.Spec.MinAvailable)
		}
	}
	if !found {
		t.Error("no PodDisruptionBudget selects the serve pods")
	}

	// serve reaches the worker through the worker's Service.
	w := m.Deployment("worker")
	if w == nil {
		t.Fatal("no worker Deployment")
	}
	wc := w.Spec.Template.Spec.Containers[0]
	wantURL := ""
	for _, s := range m.Services {
		if s.Name == "worker" && labels.SelectorFromSet(s.Spec.Selector).Matches(labels.Set(w.Spec.Template.Labels)) && port(wc, s.Spec.Ports[0].TargetPort.StrVal, s.Spec.Ports[0].TargetPort.IntVal) != 0 {
			wantURL = "http://" + s.Name + "." + s.Namespace + ".svc.cluster.local:" + strconv.Itoa(int(s.Spec.Ports[0].Port))
		}
	}
	if got := env["LORASTUDIO_WORKER_URL"]; wantURL == "" || got != wantURL {
		t.Errorf("LORASTUDIO_WORKER_URL %q, want the worker Service %q", got, wantURL)
	}
}

func TestWorkerHasAGPU(t *testing.T) {
	w := load(t).Deployment("worker")
	if w == nil {
		t.Fatal("no worker Deployment")
	}
	c := w.Spec.Template.Spec.Containers[0]
	gpu := c.Resources.Limits[corev1.ResourceName("nvidia.com/gpu")]
	if gpu.Value() < 1 {
		t.Error("worker: want an nvidia.com/gpu limit")
	}
	if c.Args[0] != "worker" {
		t.Errorf("worker args %q", c.Args)
	}
}

// kubectl's own kustomize renders the directory to the same objects. It
// is not one of the packages make test installs, so the test runs where
// kubectl is on PATH and says it skipped otherwise.
func TestKubectlKustomize(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl is not installed: kustomize's rendering not checked")
	}
	out, err := exec.Command(kubectl, "kustomize", k8sDir).Output()
	if err != nil {
		t.Fatalf("kubectl kustomize: %v", err)
	}
	rendered, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	m := load(t)
	count := func(m *Manifests) []int {
		return []int{len(m.Namespaces), len(m.ConfigMaps), len(m.Secrets), len(m.Services), len(m.Deployments), len(m.StatefulSets), len(m.Jobs), len(m.PDBs)}
	}
	if got, want := count(rendered), count(m); !slices.Equal(got, want) {
		t.Errorf("kustomize rendered %v objects by kind, the files hold %v", got, want)
	}
	for _, d := range m.Deployments {
		r := rendered.Deployment(d.Name)
		if r == nil || r.Namespace != m.Kustomization.Namespace || r.Spec.Template.Spec.Containers[0].Image != d.Spec.Template.Spec.Containers[0].Image {
			t.Errorf("Deployment %s is not rendered as written", d.Name)
		}
	}
}

// The development overlay: its files decode strictly, and, where kubectl
// can render it, the whole of it (base, Postgres, Redis, MinIO) follows
// the pod rules with every reference resolving to the patched settings.
func TestDevOverlay(t *testing.T) {
	const dir = "k8s-dev"
	var k Kustomization
	b, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(b, &k); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	for _, f := range files {
		if filepath.Base(f) == "kustomization.yaml" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(b); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl is not installed: the rendered overlay not checked")
	}
	out, err := exec.Command(kubectl, "kustomize", dir).Output()
	if err != nil {
		t.Fatalf("kubectl kustomize %s: %v", dir, err)
	}
	m, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.StatefulSets) != 2 || m.Deployment("redis") == nil || m.Deployment("serve") == nil {
		t.Errorf("rendered: %d StatefulSets, redis %v, serve %v", len(m.StatefulSets), m.Deployment("redis") != nil, m.Deployment("serve") != nil)
	}
	checkPods(t, m)
	env, err := m.Env(m.Deployment("serve").Spec.Template.Spec.Containers[0])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(env["DATABASE_URL"], "@postgres.") || !strings.Contains(env["LORASTUDIO_S3_ENDPOINT"], "//minio.") {
		t.Errorf("serve is not pointed at the overlay's services: %s, %s", env["DATABASE_URL"], env["LORASTUDIO_S3_ENDPOINT"])
	}
}
