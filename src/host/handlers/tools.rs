//! `tool/register`, `tool/unregister`, `tool/list`.

use crate::agent::tool_registry::ToolDefinition;
use crate::error::HostResult;
use crate::host::RequestContext;
use crate::protocol::EmptyParams;
use crate::protocol::{
    ToolListResult, ToolRegisterParams, ToolRegisterResult, ToolSpec, ToolUnregisterParams, ToolUnregisterResult,
};

pub async fn tool_register(ctx: RequestContext, params: ToolRegisterParams) -> HostResult<ToolRegisterResult> {
    if let Some(index) = params.tools.iter().position(|tool| tool.source.is_some()) {
        return Err(crate::error::HostError::invalid_field(
            format!("tools[{index}].source"),
            "is set by the host for tools it runs itself (MCP servers); leave it out of tool/register",
        ));
    }
    let definitions = params
        .tools
        .into_iter()
        .map(|tool| ToolDefinition {
            name: tool.name,
            description: tool.description.unwrap_or_default(),
            input_schema: tool.input_schema,
            title: tool.title,
            output_schema: tool.output_schema,
            annotations: tool.annotations,
            source: None,
        })
        .collect();
    let registered = ctx.session.tools.register(definitions)?;
    Ok(ToolRegisterResult { registered })
}

pub async fn tool_unregister(ctx: RequestContext, params: ToolUnregisterParams) -> HostResult<ToolUnregisterResult> {
    Ok(ToolUnregisterResult { unregistered: ctx.session.tools.unregister(&params.names) })
}

pub async fn tool_list(ctx: RequestContext, _params: EmptyParams) -> HostResult<ToolListResult> {
    let tools = ctx
        .session
        .tools
        .list()
        .iter()
        .map(|tool| ToolSpec {
            name: tool.definition.name.clone(),
            description: Some(tool.definition.description.clone()).filter(|d| !d.is_empty()),
            input_schema: tool.definition.input_schema.clone(),
            title: tool.definition.title.clone(),
            output_schema: tool.definition.output_schema.clone(),
            annotations: tool.definition.annotations.clone(),
            source: tool.definition.source.clone(),
        })
        .collect();
    Ok(ToolListResult { tools })
}
