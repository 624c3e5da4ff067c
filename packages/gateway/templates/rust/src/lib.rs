//! {{name}}: a Proxy-Wasm plugin (proxy-wasm crate). It adds a header, named and valued by its
//! configuration, to every request:
//!
//!     defaultConfig: {header: x-hello, value: "hello from {{name}}"}
//!
//! Build: wasmgate build (cargo build --target wasm32-wasip1 --release, copied to build/plugin.wasm).
use proxy_wasm::traits::*;
use proxy_wasm::types::*;
use serde::Deserialize;
use std::rc::Rc;

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(PluginRoot { config: Rc::new(PluginConfig::default()) }) });
}}

/// The plugin configuration (the WasmPlugin's defaultConfig, as JSON).
#[derive(Default, Deserialize)]
struct PluginConfig {
    header: String,
    value: String,
}

struct PluginRoot {
    config: Rc<PluginConfig>,
}

impl Context for PluginRoot {}

impl RootContext for PluginRoot {
    fn on_configure(&mut self, _size: usize) -> bool {
        let Some(bytes) = self.get_plugin_configuration() else {
            log::error!("{{name}}: no configuration");
            return false;
        };
        match serde_json::from_slice::<PluginConfig>(&bytes) {
            Ok(config) if !config.header.is_empty() => {
                self.config = Rc::new(config);
                true
            }
            Ok(_) => {
                log::error!("{{name}}: invalid configuration: header is required");
                false
            }
            Err(e) => {
                log::error!("{{name}}: invalid configuration: {e}");
                false
            }
        }
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(PluginHttp { config: Rc::clone(&self.config) }))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

struct PluginHttp {
    config: Rc<PluginConfig>,
}

impl Context for PluginHttp {}

impl HttpContext for PluginHttp {
    fn on_http_request_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        self.add_http_request_header(&self.config.header, &self.config.value);
        Action::Continue
    }
}
