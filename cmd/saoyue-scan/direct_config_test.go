package main

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// --direct takes the county server's settings from the environment once,
// when the flags are bound, and says what is missing before any scan.
func TestDirectConfigFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	full := map[string]string{"SAOYUE_DATABASE_URL": "postgres://x", "SAOYUE_REDIS_ADDR": "127.0.0.1:6379",
		"SAOYUE_S3_ENDPOINT": "minio:9000", "SAOYUE_S3_ACCESS_KEY": "a", "SAOYUE_S3_SECRET_KEY": "s", "SAOYUE_S3_SECURE": "1"}
	c := directFromEnv(env(full))
	if c.S3.Bucket != "saoyue" || !c.S3.Secure || c.S3.Endpoint != "minio:9000" || c.DatabaseURL != "postgres://x" || c.RedisAddr != "127.0.0.1:6379" {
		t.Errorf("config %+v", c)
	}
	if directFromEnv(env(map[string]string{"SAOYUE_S3_SECURE": "0"})).S3.Secure {
		t.Error("SAOYUE_S3_SECURE=0 turned TLS on")
	}
	for _, tc := range []struct {
		name    string
		env     map[string]string
		wantErr bool
	}{
		{"everything set", full, false},
		{"no database", map[string]string{"SAOYUE_REDIS_ADDR": "r", "SAOYUE_S3_ENDPOINT": "m"}, true},
		{"no object storage", map[string]string{"SAOYUE_DATABASE_URL": "d", "SAOYUE_REDIS_ADDR": "r"}, true},
	} {
		o := &options{}
		cmd := &cobra.Command{Use: "scan"}
		o.bindFlags(cmd, env(tc.env))
		if err := cmd.PersistentFlags().Parse([]string{"--exam", "21", "--subject", "math", "--school", "0101", "--direct"}); err != nil {
			t.Fatal(err)
		}
		err := o.check()
		if (err != nil) != tc.wantErr || err != nil && !strings.Contains(err.Error(), "--direct needs") {
			t.Errorf("%s: check() = %v", tc.name, err)
		}
	}
}
