package minioblob

import (
	"errors"
	"os"
	"strconv"
	"strings"

	"github.com/minio/minio-go/v7/pkg/credentials"
)

// ErrNoCredentials is wrapped by the error of every request made when no
// credential source gave credentials.
var ErrNoCredentials = errors.New("no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, " +
	"a profile in the shared credentials or config file (AWS_PROFILE, AWS_SHARED_CREDENTIALS_FILE), " +
	"a web identity (AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN), a container or instance role, " +
	"or add anonymous=true to the URL")

// newCredentials returns the credential chain of the package doc; profile
// ("" for AWS_PROFILE, else "default") picks the shared files' profile.
func newCredentials(profile string) *credentials.Credentials {
	return credentials.New(&chain{providers: []credentials.Provider{
		&credentials.EnvAWS{},
		&credentials.EnvMinio{},
		&credentials.FileAWSCredentials{Profile: profile},
		&machineRole{},
	}})
}

// chain is minio-go's credentials.Chain, except that finding nothing is an
// error (ErrNoCredentials, with the shared files' complaint if they had
// one) instead of silently unsigned requests.
type chain struct {
	providers []credentials.Provider
	curr      credentials.Provider
}

func (c *chain) Retrieve() (credentials.Value, error) {
	return c.RetrieveWithCredContext(nil)
}

func (c *chain) RetrieveWithCredContext(cc *credentials.CredContext) (credentials.Value, error) {
	var fileErr error
	for _, p := range c.providers {
		v, err := p.RetrieveWithCredContext(cc)
		if err == nil && (v.AccessKeyID != "" || v.SecretAccessKey != "") {
			c.curr = p
			return v, nil
		}
		if _, ok := p.(*credentials.FileAWSCredentials); ok && err != nil && !errors.Is(err, os.ErrNotExist) {
			fileErr = err
		}
	}
	c.curr = nil
	if fileErr != nil {
		return credentials.Value{}, errors.Join(ErrNoCredentials, fileErr)
	}
	return credentials.Value{}, ErrNoCredentials
}

func (c *chain) IsExpired() bool { return c.curr == nil || c.curr.IsExpired() }

// machineRole is minio-go's IAM provider (web identity, container
// credentials endpoint, EC2 instance metadata), which knows neither
// AWS_EC2_METADATA_DISABLED (with it set and neither of the others
// configured, it is skipped instead of asking 169.254.169.254) nor
// AWS_ENDPOINT_URL_STS (a web identity's STS endpoint).
type machineRole struct{ credentials.IAM }

func (m *machineRole) RetrieveWithCredContext(cc *credentials.CredContext) (credentials.Value, error) {
	if imdsDisabled() && os.Getenv("AWS_WEB_IDENTITY_TOKEN_FILE") == "" &&
		os.Getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") == "" && os.Getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI") == "" {
		return credentials.Value{}, errors.New("instance metadata disabled by AWS_EC2_METADATA_DISABLED")
	}
	m.Endpoint = ""
	if os.Getenv("AWS_WEB_IDENTITY_TOKEN_FILE") != "" {
		// The STS endpoint, as the AWS SDK reads it (else STS's regional
		// endpoint for AWS_REGION, or the global one).
		m.Endpoint = os.Getenv("AWS_ENDPOINT_URL_STS")
	}
	return m.IAM.RetrieveWithCredContext(cc)
}

func (m *machineRole) Retrieve() (credentials.Value, error) { return m.RetrieveWithCredContext(nil) }

func imdsDisabled() bool {
	v, err := strconv.ParseBool(strings.TrimSpace(os.Getenv("AWS_EC2_METADATA_DISABLED")))
	return err == nil && v
}
