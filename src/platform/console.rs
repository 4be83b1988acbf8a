//! Posts to the terminal and `state_dir/outbox.jsonl`.
