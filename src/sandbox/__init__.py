"""Running tools contained: processes, bubblewrap, Landlock and stopping them."""
