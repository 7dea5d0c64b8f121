package minioblob

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gocloud.dev/gcerrors"
)

// Each credential source, alone, signs the requests with its key; the
// environment comes before the shared files, which come before the
// machine's role.
func TestCredentialSources(t *testing.T) {
	hostPort, seen := recordingS3(t, "bkt")
	raw := "s3://bkt?endpoint=http://" + hostPort + "&use_path_style=true&region=us-east-1"

	dir := t.TempDir()
	creds := filepath.Join(dir, "credentials")
	if err := os.WriteFile(creds, []byte("[default]\naws_access_key_id = AKIDFILEDEFAULT\naws_secret_access_key = s1\n\n"+
		"[build]\naws_access_key_id = AKIDFILEBUILD\naws_secret_access_key = s2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The ECS/EKS container credentials endpoint, on loopback as
	// AWS_CONTAINER_CREDENTIALS_FULL_URI requires.
	var roleCalls int
	role := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		roleCalls++
		if r.Header.Get("Authorization") != "container-token" {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{
			"AccessKeyId": "AKIDROLE", "SecretAccessKey": "s3", "Token": "session",
			"Expiration": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
		})
	}))
	defer role.Close()

	signer := func() string {
		t.Helper()
		seen()
		if err := open(t, raw).WriteAll(t.Context(), "k", []byte("v"), nil); err != nil {
			t.Fatalf("write: %v", err)
		}
		reqs := seen()
		if len(reqs) == 0 {
			t.Fatal("no request")
		}
		a := reqs[len(reqs)-1].Header.Get("Authorization")
		_, cred, _ := strings.Cut(a, "Credential=")
		id, _, _ := strings.Cut(cred, "/")
		return id
	}

	// A web identity (EKS's IRSA): the token file's content goes to STS's
	// AssumeRoleWithWebIdentity with the role.
	var stsCalls int
	sts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stsCalls++
		r.ParseForm()
		if r.Form.Get("Action") != "AssumeRoleWithWebIdentity" || r.Form.Get("WebIdentityToken") != "projected-token" ||
			r.Form.Get("RoleArn") != "arn:aws:iam::123456789012:role/sluice" {
			http.Error(w, "bad request "+r.Form.Encode(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
<AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>AKIDWEBIDENTITY</AccessKeyId><SecretAccessKey>s0</SecretAccessKey>
<SessionToken>tok</SessionToken><Expiration>`+time.Now().Add(time.Hour).UTC().Format(time.RFC3339)+`</Expiration></Credentials>
</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>`)
	}))
	defer sts.Close()
	token := filepath.Join(dir, "token")
	os.WriteFile(token, []byte("projected-token"), 0o600)
	t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", token)
	t.Setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/sluice")
	t.Setenv("AWS_ENDPOINT_URL_STS", sts.URL)
	if got := signer(); got != "AKIDWEBIDENTITY" {
		t.Errorf("web identity: signed by %q", got)
	}
	if stsCalls == 0 {
		t.Error("STS was not asked")
	}
	t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "")

	t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", role.URL+"/creds")
	t.Setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-token")
	if got := signer(); got != "AKIDROLE" {
		t.Errorf("container role: signed by %q", got)
	}
	if roleCalls == 0 {
		t.Error("the container credentials endpoint was not asked")
	}

	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)
	if got := signer(); got != "AKIDFILEDEFAULT" {
		t.Errorf("shared file, default profile: signed by %q", got)
	}
	t.Setenv("AWS_PROFILE", "build")
	if got := signer(); got != "AKIDFILEBUILD" {
		t.Errorf("shared file, AWS_PROFILE=build: signed by %q", got)
	}
	t.Setenv("AWS_PROFILE", "")
	raw += "&profile=build"
	if got := signer(); got != "AKIDFILEBUILD" {
		t.Errorf("shared file, profile=build: signed by %q", got)
	}

	t.Setenv("MINIO_ACCESS_KEY", "AKIDMINIO")
	t.Setenv("MINIO_SECRET_KEY", "s4")
	if got := signer(); got != "AKIDMINIO" {
		t.Errorf("MINIO_ACCESS_KEY: signed by %q", got)
	}

	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "s5")
	if got := signer(); got != "AKIDENV" {
		t.Errorf("AWS_ACCESS_KEY_ID: signed by %q", got)
	}
}

// With no credentials anywhere a request fails, naming where they are
// looked for, instead of going out unsigned.
func TestNoCredentials(t *testing.T) {
	hostPort, seen := recordingS3(t, "bkt")
	b := open(t, "s3://bkt?endpoint=http://"+hostPort+"&use_path_style=true&region=us-east-1")
	err := b.WriteAll(t.Context(), "k", []byte("v"), nil)
	if !errors.Is(err, ErrNoCredentials) || gcerrors.Code(err) != gcerrors.PermissionDenied {
		t.Fatalf("write without credentials = %v (code %v), want ErrNoCredentials, PermissionDenied", err, gcerrors.Code(err))
	}
	for _, w := range []string{"AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "anonymous=true"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %s", err, w)
		}
	}
	if reqs := seen(); len(reqs) != 0 {
		t.Errorf("%d requests went out unsigned", len(reqs))
	}

	// A broken shared file is named.
	bad := filepath.Join(t.TempDir(), "credentials")
	os.WriteFile(bad, []byte("[default]\naws_access_key_id = AKIDHALF\n"), 0o600)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", bad)
	err = b.WriteAll(t.Context(), "k", []byte("v"), nil)
	if !errors.Is(err, ErrNoCredentials) || !strings.Contains(err.Error(), "partial static credentials") {
		t.Errorf("write with half a key pair in the shared file = %v", err)
	}
}
