package pgstore

// ValidUUID is validUUID, for the external tests (the oracle of ApplyJobs).
var ValidUUID = validUUID
