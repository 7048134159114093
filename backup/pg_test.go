package backup

import "testing"

// TestLibpqConn: pgx's own URL parameters, which libpq refuses, are
// dropped; the password leaves the URL for the environment.
func TestLibpqConn(t *testing.T) {
	for _, tc := range []struct{ in, url, password string }{
		{"postgres://saoyue@127.0.0.1:5432/saoyue?sslmode=disable", "postgres://saoyue@127.0.0.1:5432/saoyue?sslmode=disable", ""},
		{"postgres://u:s3cret@db:5432/saoyue?search_path=t_1&pool_max_conns=8&sslmode=require", "postgres://u@db:5432/saoyue?sslmode=require", "s3cret"},
		{"postgres://u:p@db1:5432,db2:5432/saoyue?target_session_attrs=read-write", "postgres://u@db1:5432,db2:5432/saoyue?target_session_attrs=read-write", "p"},
		{"host=db user=u dbname=saoyue", "host=db user=u dbname=saoyue", ""},
	} {
		c, err := libpqConn(tc.in)
		if err != nil || c.url != tc.url || c.password != tc.password {
			t.Errorf("libpqConn(%q) = %q, %q, %v; want %q, %q", tc.in, c.url, c.password, err, tc.url, tc.password)
		}
	}
}

func TestURLSchema(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u@db/saoyue":                    "public",
		"postgres://u@db/saoyue?search_path=t_ab12": "t_ab12",
		"host=db dbname=saoyue":                     "public",
	} {
		if got := urlSchema(in); got != want {
			t.Errorf("urlSchema(%q) = %q, want %q", in, got, want)
		}
	}
}
