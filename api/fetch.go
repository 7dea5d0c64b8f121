package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"

	"github.com/sluicehq/sluice/plan"
	"github.com/sluicehq/sluice/spec"
)

// fetchTimeout bounds fetching a pipeline_version.package_url.
const fetchTimeout = 30 * time.Second

// maxFetchRedirects bounds the redirects a package_url fetch follows.
const maxFetchRedirects = 5

// newFetcher returns the client that fetches package_urls. Every
// connection it opens — the first and each redirect's — is checked at dial
// time, after DNS resolution, by allowed; it uses no proxy (a proxy would
// reach the addresses it must not).
func newFetcher(allowed func(netip.AddrPort) bool) *http.Client {
	dialer := &net.Dialer{
		Timeout: fetchTimeout,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || !allowed(ap) {
				return fmt.Errorf("dial %s %s: %w", network, address, errPrivateAddress)
			}
			return nil
		},
	}
	return &http.Client{
		Timeout: fetchTimeout,
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: fetchTimeout,
			MaxIdleConns:          4,
			IdleConnTimeout:       30 * time.Second,
		},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxFetchRedirects {
				return fmt.Errorf("more than %d redirects", maxFetchRedirects)
			}
			return nil
		},
	}
}

var errPrivateAddress = errors.New("a loopback, private, link-local or otherwise non-public address")

// publicAddress says whether a package_url may be fetched from ap: not a
// loopback, private, link-local, unspecified, multicast, shared (CGNAT),
// reserved or documentation address, nor an IPv6 address that embeds one
// (IPv4-mapped, NAT64, 6to4).
func publicAddress(ap netip.AddrPort) bool {
	ip := ap.Addr().Unmap().WithZone("")
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsUnspecified() || ip.IsMulticast() ||
		ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	if ip.Is6() {
		b := ip.As16()
		switch {
		case nat64.Contains(ip):
			return publicAddress(netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[12:16])), ap.Port()))
		case sixToFour.Contains(ip):
			return publicAddress(netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[2:6])), ap.Port()))
		}
	}
	return true
}

var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
	nonPublic = []netip.Prefix{
		netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
		netip.MustParsePrefix("100.64.0.0/10"),   // shared address space (CGNAT)
		netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
		netip.MustParsePrefix("192.0.2.0/24"),    // documentation
		netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
		netip.MustParsePrefix("198.51.100.0/24"), // documentation
		netip.MustParsePrefix("203.0.113.0/24"),  // documentation
		netip.MustParsePrefix("240.0.0.0/4"),     // reserved, broadcast
		netip.MustParsePrefix("100::/64"),        // discard
		netip.MustParsePrefix("2001:db8::/32"),   // documentation
		netip.MustParsePrefix("fec0::/10"),       // site-local
	}
)

// fetchPackage loads the pipeline package behind a package_url, as KFP's
// server does for POST /pipelines/create and POST /pipelines/{id}/versions:
// an http(s) URL, or a bucket URL inside the server's artifact store. The
// body is bounded like an upload. Local paths and file:// URLs are refused:
// the API does not read the server's disk. Unless the server allows
// private package URLs, an http(s) URL reaching a non-public address
// (directly, through DNS, or by a redirect) is refused. Every fetch
// failure has the same message, whatever the cause — a refused address, a
// closed port, a status — so that the API cannot be used to probe the
// server's network; the cause is logged.
func (s *server) fetchPackage(ctx context.Context, field, raw string) (*spec.Pipeline, []byte, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return nil, nil, invalidf("%s %q: not a URL", field, raw)
	}
	var body io.ReadCloser
	switch u.Scheme {
	case "http", "https":
		failed := func(cause error) error {
			s.log.Info("package_url fetch failed", "url", redactURL(u), "err", cause)
			hint := "the server fetches only public addresses"
			if s.cfg.AllowPrivatePackageURLs {
				hint = "private addresses are allowed"
			}
			return invalidf("%s: could not fetch %s: it must be an http(s) URL this server can reach that answers 200 OK with a pipeline package (%s; upload the file instead)", field, redactURL(u), hint)
		}
		ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
		if err != nil {
			return nil, nil, invalidf("%s %q: %v", field, redactURL(u), err)
		}
		resp, err := s.fetcher.Do(req)
		if err != nil {
			return nil, nil, failed(err)
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			return nil, nil, failed(fmt.Errorf("HTTP %s", resp.Status))
		}
		body = resp.Body
	case "file":
		return nil, nil, invalidf("%s %q: file URLs are not fetched (the server does not read its own disk); upload the file instead", field, raw)
	case "s3", "gs", "azblob", "minio":
		rc, err := s.openBlob(ctx, raw)
		if err != nil {
			return nil, nil, err
		}
		body = rc
	default:
		return nil, nil, invalidf("%s %q: unsupported scheme %q (want http, https or a bucket URL of this server's artifact store)", field, raw, u.Scheme)
	}
	defer body.Close()
	data, err := io.ReadAll(io.LimitReader(body, s.cfg.MaxUploadBytes+1))
	if err != nil {
		s.log.Info("package_url read failed", "url", redactURL(u), "err", err)
		return nil, nil, invalidf("%s: could not read %s", field, redactURL(u))
	}
	if int64(len(data)) > s.cfg.MaxUploadBytes {
		return nil, nil, &apiError{code: codeInvalidArgument, status: http.StatusRequestEntityTooLarge,
			msg: fmt.Sprintf("%s: the package at %s is larger than the %s limit", field, redactURL(u), sizeText(s.cfg.MaxUploadBytes))}
	}
	p, err := spec.Load(data)
	if err == nil {
		err = plan.CheckExpressions(p.Spec)
	}
	if err != nil {
		return nil, nil, &apiError{code: codeInvalidArgument, msg: fmt.Sprintf("%s: the package at %s is not a valid pipeline: %v", field, redactURL(u), err), err: err}
	}
	b, err := spec.MarshalStored(p)
	if err != nil {
		return nil, nil, err
	}
	return p, b, nil
}

// redactURL is a URL without its password, for messages and logs.
func redactURL(u *url.URL) string {
	return u.Redacted()
}
