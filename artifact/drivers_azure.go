//go:build azure

package artifact

import _ "gocloud.dev/blob/azureblob" // azblob:// containers, registered with gocloud's default URL mux

const haveAzure = true
