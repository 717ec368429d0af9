"""What tests share: the hook runner and fixture files (``hooks``), store readers (``store``),
a planted memory corpus (``memory``), builders of settings and model replies (``builders``),
fake providers, one per wire format (``fakes``), what the provider tests share (``providers``),
the MCP server's corpus and a raw JSON-RPC client (``mcp_server``), the lifecycle tests' planted
store (``lifecycle``), the vector index tests' fixtures (``vector_index``), scripted extraction runs
(``extraction``), the real Claude Code CLI (``claude_cli``), the secret corpus
(``secret_corpus``), hang guards (``guards``) and the one fuzzer of the reply parser
(``reply_fuzz``)."""
