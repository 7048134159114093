package main

import (
	"bufio"
	"net"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"
)

// composeFile is the part of deploy/compose.yaml the test reads.
type composeFile struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Command     any               `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		Ports       []string          `yaml:"ports"`
		Deploy      struct {
			Replicas int `yaml:"replicas"`
		} `yaml:"deploy"`
		Healthcheck struct {
			Test []string `yaml:"test"`
		} `yaml:"healthcheck"`
	} `yaml:"services"`
}

// configVars are the SAOYUE_* variables serve and worker read: those
// Config.BindFlags asks its getenv for.
func configVars() map[string]bool {
	read := map[string]bool{}
	var c Config
	c.BindFlags(pflag.NewFlagSet("x", pflag.ContinueOnError), func(k string) string { read[k] = true; return "" })
	return read
}

var composeVar = regexp.MustCompile(`\$\{([A-Z_]+)(?::[-?]([^}]*))?\}`)

// expand fills ${VAR:-default} with its default and ${VAR:?msg} with a
// stand-in, as compose would with an .env that sets the required ones.
func expand(s string) string {
	return composeVar.ReplaceAllStringFunc(s, func(m string) string {
		sub := composeVar.FindStringSubmatch(m)
		if strings.Contains(m, ":?") {
			return "set-" + strings.ToLower(sub[1])
		}
		return sub[2]
	})
}

// TestComposeMatchesConfig parses deploy/compose.yaml and checks it
// against what serve and worker read: every SAOYUE_* variable it sets is
// one they read and parses; the addresses name services of the file; the
// server's port and the worker's health check are the ports they listen
// on; there are four MinIO nodes in one erasure set and several workers.
func TestComposeMatchesConfig(t *testing.T) {
	b, err := os.ReadFile("../../deploy/compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var f composeFile
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("deploy/compose.yaml: %v", err)
	}
	read := configVars()
	for _, name := range []string{"postgres", "redis", "minio1", "minio2", "minio3", "minio4", "server", "worker"} {
		if _, ok := f.Services[name]; !ok {
			t.Errorf("compose has no service %s", name)
		}
	}
	if r := f.Services["worker"].Deploy.Replicas; r < 2 {
		t.Errorf("compose runs %d workers, want several", r)
	}
	for _, svc := range []string{"server", "worker"} {
		env := map[string]string{}
		for k, v := range f.Services[svc].Environment {
			if strings.HasPrefix(k, "SAOYUE_") && !read[k] {
				t.Errorf("%s sets %s, which neither serve nor worker reads", svc, k)
			}
			env[k] = expand(v)
		}
		cfg := checkComposeEnv(t, svc, env, f)
		switch svc {
		case "server":
			_, port, _ := net.SplitHostPort(cfg.HTTPAddr)
			if len(f.Services[svc].Ports) == 0 || !strings.HasSuffix(f.Services[svc].Ports[0], ":"+port) {
				t.Errorf("server listens on %s but publishes %v", cfg.HTTPAddr, f.Services[svc].Ports)
			}
		case "worker":
			_, port, _ := net.SplitHostPort(cfg.HealthAddr)
			if port == "" || !strings.Contains(strings.Join(f.Services[svc].Healthcheck.Test, " "), ":"+port+"/readyz") {
				t.Errorf("worker's health check %v does not ask its --health-addr %q", f.Services[svc].Healthcheck.Test, cfg.HealthAddr)
			}
		}
	}
	cmd, _ := f.Services["minio1"].Command.(string)
	if !strings.Contains(cmd, "http://minio{1...4}/data") {
		t.Errorf("minio1 runs %q, not one erasure set of the four nodes", cmd)
	}
}

// checkComposeEnv reads a service's environment as the binary would and
// checks that its addresses point at services of the file.
func checkComposeEnv(t *testing.T, svc string, env map[string]string, f composeFile) *Config {
	t.Helper()
	var cfg Config
	fs := pflag.NewFlagSet(svc, pflag.ContinueOnError)
	cfg.BindFlags(fs, func(k string) string { return env[k] })
	if _, err := cfg.ReadMemoryBytes(); err != nil {
		t.Errorf("%s: %v", svc, err)
	}
	for _, need := range []string{"SAOYUE_DATABASE_URL", "SAOYUE_REDIS_ADDR", "SAOYUE_S3_ENDPOINT", "SAOYUE_S3_ACCESS_KEY", "SAOYUE_S3_SECRET_KEY"} {
		if env[need] == "" {
			t.Errorf("%s lacks %s", svc, need)
		}
	}
	u, err := url.Parse(cfg.DatabaseURL)
	if err != nil {
		t.Errorf("%s: database URL: %v", svc, err)
		return &cfg
	}
	hosts := map[string]string{"database": u.Hostname(), "Redis": strings.Split(cfg.RedisAddr, ":")[0],
		"S3": strings.Split(cfg.S3Endpoint, ":")[0]}
	for what, h := range hosts {
		if _, ok := f.Services[h]; !ok {
			t.Errorf("%s's %s host %q is no service of the compose file", svc, what, h)
		}
	}
	return &cfg
}

// TestEnvExampleMatchesConfig: every SAOYUE_* line of the systemd units'
// environment file is a variable serve, worker or backup reads.
func TestEnvExampleMatchesConfig(t *testing.T) {
	fh, err := os.Open("../../deploy/saoyue.env.example")
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	read := configVars()
	for _, k := range []string{"SAOYUE_BACKUP_DIR", "SAOYUE_PG_BIN", "SAOYUE_BACKUP_S3_ENDPOINT", "SAOYUE_BACKUP_S3_ACCESS_KEY",
		"SAOYUE_BACKUP_S3_SECRET_KEY", "SAOYUE_BACKUP_S3_SECURE"} {
		read[k] = true // backup's own (cmd/saoyue/backup.go)
	}
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		k, _, ok := strings.Cut(sc.Text(), "=")
		if ok && strings.HasPrefix(k, "SAOYUE_") && !read[k] {
			t.Errorf("saoyue.env.example sets %s, which nothing reads", k)
		}
	}
}
