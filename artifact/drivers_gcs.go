//go:build gcs

package artifact

import _ "gocloud.dev/blob/gcsblob" // gs:// buckets, registered with gocloud's default URL mux

const haveGCS = true
