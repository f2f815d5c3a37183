import PipelineStore

/// The JSON settings the CLI prints with: the store's, so `--json` matches `run.json`.
typealias PipelineStoreCoding = RunRecordCoding
