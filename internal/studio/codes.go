package studio

// Error codes: the closed set of the Code of every *Error. They are stable
// snake_case strings (the desktop, the worker and outside scripts compare
// them), each declared once here; backend/api maps every one to an HTTP
// status in one table, and the frontend gets them as a generated union
// (frontend/src/lib/api/wire.gen.ts). A test fails when a code is written
// as a literal anywhere else in the module.
//
// They live in studio, not in the wire package, because the domain raises
// them (the dataset engine, the compiler, the stores) and studio imports
// nothing of the project, so every package can use them without a cycle.
const (
	// Generic codes; the specific ones below say more.
	EInvalid      = "invalid"      // the input is malformed or out of bounds
	ENotFound     = "not_found"    // no such thing, or not the caller's
	EConflict     = "conflict"     // the request clashes with current state
	EUnauthorized = "unauthorized" // no valid credentials
	EForbidden    = "forbidden"    // authenticated, but not allowed (consent missing...)
	ETooLarge     = "too_large"    // the body or file is over a limit
	ERateLimited  = "rate_limited" // slow down
	EUnavailable  = "unavailable"  // a dependency (database, storage) is down
	ENotImpl      = "not_implemented"
	EInternal     = "internal"
	ECanceled     = "canceled" // the caller stopped the work before it finished

	// EInvalidText is the code of a request string holding a character that
	// must not be stored or shown: NUL (Postgres refuses it), other control
	// characters, invalid UTF-8, or invisible format characters such as
	// bidi overrides that make a name read differently from what it is.
	EInvalidText = "invalid_text"

	// Accounts.
	EEmailTaken     = "email_taken"
	EBadCredentials = "bad_credentials"
	EWeakPassword   = "weak_password"
	EInvalidEmail   = "invalid_email"

	// Consent.
	EConsentRequired     = "consent_required" // no live consent on record
	EConsentOutdated     = "consent_outdated" // the text or processors changed since
	EConsentMismatch     = "consent_mismatch" // the hash read is not the text's
	EConsentExpired      = "consent_expired"  // the retention period ended it
	EAttestationRequired = "attestation_required"
	EConsentRefused      = "consent_refused" // the desktop: the user did not consent

	// Registries.
	EUnknownBaseModel = "unknown_base_model"
	EUnknownPlatform  = "unknown_platform"

	// Photos and uploads.
	EDuplicateFile      = "duplicate_file"
	EFileTooLarge       = "file_too_large" // over MaxPhotoBytes
	EUnsupportedFormat  = "unsupported_format"
	ECorrupt            = "corrupt"
	ETooManyPixels      = "too_many_pixels"
	EUnreadable         = "unreadable"
	EUploadMissing      = "upload_missing"
	EUploadMismatch     = "upload_mismatch"
	EUnknownUpload      = "unknown_upload"
	EUploadRefused      = "upload_refused"
	ENotUploaded        = "not_uploaded"
	EStorageUnavailable = "storage_unavailable"
	EQuotaExceeded      = "quota_exceeded"

	// Training.
	EIdempotencyKeyRequired = "idempotency_key_required"
	EIdempotencyKeyInvalid  = "idempotency_key_invalid"
	EIdempotencyKeyReused   = "idempotency_key_reused"
	EIdempotencyKeyInFlight = "idempotency_key_in_flight"
	EDatasetNotValidated    = "dataset_not_validated"
	EBaseModelUnsupported   = "base_model_unsupported"
	EParamOutOfBounds       = "param_out_of_bounds"
	EProviderUnavailable    = "provider_unavailable"
	ETrainingUnavailable    = "training_unavailable"
	EVersionNotReady        = "version_not_ready"
	EJobFinished            = "job_finished"
	EJobNotSucceeded        = "job_not_succeeded"

	// Captions.
	EInvalidCaption       = "invalid_caption"        // not one line, too long, or no {trigger}
	ECaptioningInProgress = "captioning_in_progress" // an auto-caption run has not finished
	ECaptionerUnavailable = "captioner_unavailable"  // the training provider captions nothing
	ECaptionsUnreviewed   = "captions_unreviewed"    // suggestions not yet reviewed, or edits not yet on the server

	// Webhooks.
	EWebhookUnauthenticated = "webhook_unauthenticated"
	EWebhookMalformed       = "webhook_malformed"
	EWebhookTooSlow         = "webhook_too_slow"

	// Activation and the prompt compiler. EWeightOutOfRange is the one code
	// of a LoRA weight outside [MinLoRAWeight, MaxLoRAWeight], wherever it
	// is given (activation, compile, pack).
	EWeightOutOfRange  = "weight_out_of_range"
	EInvalidIdentity   = "invalid_identity"
	EInvalidPrompt     = "invalid_prompt"
	EEmptyPrompt       = "empty_prompt"
	EPromptTooLong     = "prompt_too_long"
	EInvalidSize       = "invalid_size"
	EInvalidDuration   = "invalid_duration"
	EInvalidReference  = "invalid_reference"
	ENoReferences      = "no_references"
	ETooManyReferences = "too_many_references"
	ELoRAPipeline      = "lora_pipeline"
	EInvalidLoRA       = "invalid_lora"

	// Character Packs.
	EInvalidPack  = "invalid_pack"
	EPackTampered = "pack_tampered"

	// The desktop's downloads and installs of a trained LoRA.
	EDownloadCanceled     = "download_canceled"
	EDownloadRunning      = "download_running"
	EDownloadCorrupt      = "download_corrupt"
	EDownloadURLExpired   = "download_url_expired"
	EInstallConflict      = "install_conflict"
	EInstallFolderMissing = "install_folder_missing"
)

// Codes returns every error code, in the order declared.
func Codes() []string {
	return []string{
		EInvalid, ENotFound, EConflict, EUnauthorized, EForbidden, ETooLarge, ERateLimited, EUnavailable, ENotImpl, EInternal, ECanceled,
		EInvalidText,
		EEmailTaken, EBadCredentials, EWeakPassword, EInvalidEmail,
		EConsentRequired, EConsentOutdated, EConsentMismatch, EConsentExpired, EAttestationRequired, EConsentRefused,
		EUnknownBaseModel, EUnknownPlatform,
		EDuplicateFile, EFileTooLarge, EUnsupportedFormat, ECorrupt, ETooManyPixels, EUnreadable, EUploadMissing, EUploadMismatch,
		EUnknownUpload, EUploadRefused, ENotUploaded, EStorageUnavailable, EQuotaExceeded,
		EIdempotencyKeyRequired, EIdempotencyKeyInvalid, EIdempotencyKeyReused, EIdempotencyKeyInFlight, EDatasetNotValidated,
		EBaseModelUnsupported, EParamOutOfBounds, EProviderUnavailable, ETrainingUnavailable, EVersionNotReady, EJobFinished, EJobNotSucceeded,
		EInvalidCaption, ECaptioningInProgress, ECaptionerUnavailable, ECaptionsUnreviewed,
		EWebhookUnauthenticated, EWebhookMalformed, EWebhookTooSlow,
		EWeightOutOfRange, EInvalidIdentity, EInvalidPrompt, EEmptyPrompt, EPromptTooLong, EInvalidSize, EInvalidDuration,
		EInvalidReference, ENoReferences, ETooManyReferences, ELoRAPipeline, EInvalidLoRA,
		EInvalidPack, EPackTampered,
		EDownloadCanceled, EDownloadRunning, EDownloadCorrupt, EDownloadURLExpired, EInstallConflict, EInstallFolderMissing,
	}
}
