package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/saoyue/saoyue/store/storetest"
)

// selfSigned writes a certificate for 127.0.0.1 and its key.
func selfSigned(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "saoyue test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	_ = os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	_ = os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return certFile, keyFile
}

// serveFor runs the server with cfg until the test ends and returns its URL.
func serveFor(t *testing.T, cfg *Config) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	a, err := openApp(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	urlc, errc := make(chan string, 1), make(chan error, 1)
	go func() { errc <- a.serve(ctx, cfg, func(u string) { urlc <- u }) }()
	t.Cleanup(func() { cancel(); <-errc; a.Close() })
	select {
	case u := <-urlc:
		return u
	case err := <-errc:
		t.Fatal(err)
	}
	return ""
}

// TestServeTLS: with --tls-cert/--tls-key the server speaks HTTPS, sends
// HSTS and marks its cookies Secure; behind a TLS proxy
// (--secure-cookies) cookies are Secure on plain HTTP too; a certificate
// without its key is refused at start.
func TestServeTLS(t *testing.T) {
	t.Parallel()
	_, dbURL := storetest.NewWithURL(t)
	cert, key := selfSigned(t)
	get := func(url string) *http.Response {
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
		resp, err := c.Get(url + "signin")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	secureCookie := func(resp *http.Response) bool {
		for _, c := range resp.Cookies() {
			if !c.Secure {
				return false
			}
		}
		return len(resp.Cookies()) > 0
	}

	tlsURL := serveFor(t, &Config{DatabaseURL: dbURL, DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", TLSCert: cert, TLSKey: key})
	if !strings.HasPrefix(tlsURL, "https://") {
		t.Fatalf("TLS server URL %s", tlsURL)
	}
	resp := get(tlsURL)
	if resp.Header.Get("Strict-Transport-Security") == "" || !secureCookie(resp) {
		t.Errorf("HTTPS: HSTS %q, cookies %v", resp.Header.Get("Strict-Transport-Security"), resp.Cookies())
	}

	proxied := serveFor(t, &Config{DatabaseURL: dbURL, DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", SecureCookies: true})
	if resp := get(proxied); !secureCookie(resp) || resp.Header.Get("Strict-Transport-Security") != "" {
		t.Errorf("behind a TLS proxy: cookies %v, HSTS %q", resp.Cookies(), resp.Header.Get("Strict-Transport-Security"))
	}
	plain := serveFor(t, &Config{DatabaseURL: dbURL, DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0"})
	if resp := get(plain); secureCookie(resp) {
		t.Errorf("plain HTTP: cookies %v are Secure", resp.Cookies())
	}

	a, err := openApp(context.Background(), &Config{DatabaseURL: dbURL, DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.serve(context.Background(), &Config{HTTPAddr: "127.0.0.1:0", TLSCert: cert}, nil); err == nil || !strings.Contains(err.Error(), "tls-key") {
		t.Errorf("certificate without key: %v", err)
	}
}
