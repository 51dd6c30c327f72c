"""Payment lists (拨付清单): approved settlement claims gathered per payee, paid, written off."""
