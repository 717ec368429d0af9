"""What tests share: the hook runner and fixture files (``hooks``), store readers (``store``),
builders of settings and model replies (``builders``)."""
