"""What tests share: the hook runner and fixture files (``hooks``), store readers (``store``),
builders of settings and model replies (``builders``), fake providers, one per wire format
(``fakes``), and the one fuzzer of the reply parser (``reply_fuzz``)."""
