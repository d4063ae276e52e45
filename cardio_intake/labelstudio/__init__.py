"""Label Studio round trip: export pages with the model's pre-annotations, import finished labels
into the training dataset format, and pick the faxes most worth a person's labelling time."""
