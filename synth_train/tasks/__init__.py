"""One module per trainable model: data, loss, validation and model-card facts."""
