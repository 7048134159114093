package backup

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// DefaultPGBin is where Debian's postgresql-15 puts pg_dump and pg_restore;
// they must be of the server's major version or newer.
const DefaultPGBin = "/usr/lib/postgresql/15/bin"

// libpqParams are the URL parameters pg_dump and pg_restore understand; the
// others in a saoyue database URL are pgx's (pool_max_conns, search_path…)
// and libpq refuses them.
var libpqParams = map[string]bool{
	"sslmode": true, "sslcert": true, "sslkey": true, "sslrootcert": true, "sslpassword": true,
	"connect_timeout": true, "application_name": true, "target_session_attrs": true,
	"options": true, "password": true, "user": true, "host": true, "port": true, "dbname": true,
	"keepalives": true, "keepalives_idle": true, "passfile": true, "service": true,
}

// pgConn is a database as pg_dump and pg_restore are given it: the URL
// without its password, which goes in the environment, not on a command
// line every user of the machine can read.
type pgConn struct {
	url, password string
}

// libpqConn returns the database URL as pg_dump and pg_restore take it.
func libpqConn(databaseURL string) (pgConn, error) {
	if !strings.Contains(databaseURL, "://") {
		return pgConn{url: databaseURL}, nil // keyword=value form: libpq's own
	}
	u, err := url.Parse(databaseURL)
	if err != nil {
		// Leave a URL Go cannot parse to libpq, which reads its own forms.
		return pgConn{url: databaseURL}, nil
	}
	var c pgConn
	if u.User != nil {
		c.password, _ = u.User.Password()
		u.User = url.User(u.User.Username())
	}
	q := u.Query()
	for k := range q {
		if !libpqParams[k] {
			q.Del(k)
		}
	}
	u.RawQuery = q.Encode()
	c.url = u.String()
	return c, nil
}

// tool finds pg_dump or pg_restore: in pgBin if given, else Debian's
// postgresql-15 directory, else the PATH.
func tool(pgBin, name string) (string, error) {
	dirs := []string{pgBin}
	if pgBin == "" {
		dirs = []string{DefaultPGBin}
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	if pgBin == "" {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("找不到 %s：请安装 postgresql-client（Debian：postgresql-15）或用 --pg-bin 指明目录", name)
}

// run runs a PostgreSQL tool; its error carries the tool's own message.
func run(ctx context.Context, c pgConn, bin string, args ...string) error {
	cmd := exec.CommandContext(ctx, bin, append(args, "--dbname="+c.url)...)
	if c.password != "" {
		cmd.Env = append(os.Environ(), "PGPASSWORD="+c.password)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", filepath.Base(bin), err, strings.TrimSpace(stderr.String()))
	}
	return nil
}
