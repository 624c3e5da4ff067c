// {{name}}: a Higress wasm-go plugin. It adds a header, named and valued by its configuration, to
// every request:
//
//	defaultConfig: {header: x-hello, value: "hello from {{name}}"}
//
// Build: wasmgate build (Go 1.24+: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o build/plugin.wasm .)
package main

import (
	"errors"

	"github.com/higress-group/proxy-wasm-go-sdk/proxywasm"
	"github.com/higress-group/proxy-wasm-go-sdk/proxywasm/types"
	"github.com/higress-group/wasm-go/pkg/wrapper"
	"github.com/tidwall/gjson"
)

func main() {}

func init() {
	wrapper.SetCtx(
		"{{name}}",
		wrapper.ParseConfig(parseConfig),
		wrapper.ProcessRequestHeaders(onHttpRequestHeaders),
	)
}

// PluginConfig is the parsed plugin configuration (defaultConfig, or a matchRules entry's config).
type PluginConfig struct {
	header string
	value  string
}

func parseConfig(json gjson.Result, config *PluginConfig) error {
	config.header = json.Get("header").String()
	config.value = json.Get("value").String()
	if config.header == "" {
		return errors.New("header is required")
	}
	return nil
}

func onHttpRequestHeaders(ctx wrapper.HttpContext, config PluginConfig) types.Action {
	if err := proxywasm.AddHttpRequestHeader(config.header, config.value); err != nil {
		proxywasm.LogErrorf("{{name}}: cannot add %s: %v", config.header, err)
	}
	return types.ActionContinue
}
