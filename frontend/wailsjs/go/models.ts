export namespace app {
	
	export class AccountStatus {
	    signed_in: boolean;
	    server_url?: string;
	    email?: string;
	    token_storage: string;
	    token_storage_note?: string;
	    expired?: boolean;
	
	    static createFrom(source: any = {}) {
	        return new AccountStatus(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.signed_in = source["signed_in"];
	        this.server_url = source["server_url"];
	        this.email = source["email"];
	        this.token_storage = source["token_storage"];
	        this.token_storage_note = source["token_storage_note"];
	        this.expired = source["expired"];
	    }
	}
	export class Activation {
	    identity?: studio.Identity;
	    queued: boolean;
	
	    static createFrom(source: any = {}) {
	        return new Activation(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.identity = this.convertValues(source["identity"], studio.Identity);
	        this.queued = source["queued"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class ActiveLoRA {
	    version_id: string;
	    base_model: string;
	    name: string;
	    trigger: string;
	    weight: number;
	
	    static createFrom(source: any = {}) {
	        return new ActiveLoRA(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.version_id = source["version_id"];
	        this.base_model = source["base_model"];
	        this.name = source["name"];
	        this.trigger = source["trigger"];
	        this.weight = source["weight"];
	    }
	}
	export class BaseModelList {
	    models: studio.BaseModel[];
	    source: string;
	    // Go type: time
	    checked_at?: any;
	    note?: string;
	
	    static createFrom(source: any = {}) {
	        return new BaseModelList(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.models = this.convertValues(source["models"], studio.BaseModel);
	        this.source = source["source"];
	        this.checked_at = this.convertValues(source["checked_at"], null);
	        this.note = source["note"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Gate {
	    allowed: boolean;
	    reason?: string;
	
	    static createFrom(source: any = {}) {
	        return new Gate(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.allowed = source["allowed"];
	        this.reason = source["reason"];
	    }
	}
	export class CaptionState {
	    run?: studio.CaptionRun;
	    uploaded: boolean;
	    suggested: number;
	    unsent: number;
	    template: string;
	    ready: Gate;
	
	    static createFrom(source: any = {}) {
	        return new CaptionState(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.run = this.convertValues(source["run"], studio.CaptionRun);
	        this.uploaded = source["uploaded"];
	        this.suggested = source["suggested"];
	        this.unsent = source["unsent"];
	        this.template = source["template"];
	        this.ready = this.convertValues(source["ready"], Gate);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class ConsentStatus {
	    given: boolean;
	    version?: string;
	    language?: string;
	    // Go type: time
	    given_at?: any;
	    outdated: boolean;
	    synced: boolean;
	    queued: boolean;
	    server_error?: string;
	    retention_days?: number;
	    notice?: string;
	
	    static createFrom(source: any = {}) {
	        return new ConsentStatus(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.given = source["given"];
	        this.version = source["version"];
	        this.language = source["language"];
	        this.given_at = this.convertValues(source["given_at"], null);
	        this.outdated = source["outdated"];
	        this.synced = source["synced"];
	        this.queued = source["queued"];
	        this.server_error = source["server_error"];
	        this.retention_days = source["retention_days"];
	        this.notice = source["notice"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class ConsentTerms {
	    version: string;
	    language: string;
	    languages: string[];
	    text: string;
	    sha256: string;
	    purpose: string;
	    attestation: string;
	    processors?: string[];
	    retention_days?: number;
	
	    static createFrom(source: any = {}) {
	        return new ConsentTerms(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.version = source["version"];
	        this.language = source["language"];
	        this.languages = source["languages"];
	        this.text = source["text"];
	        this.sha256 = source["sha256"];
	        this.purpose = source["purpose"];
	        this.attestation = source["attestation"];
	        this.processors = source["processors"];
	        this.retention_days = source["retention_days"];
	    }
	}
	export class DatasetItem {
	    id: string;
	    name: string;
	    original_path: string;
	    local_path: string;
	    sha256: string;
	    size: number;
	    state: string;
	    caption: string;
	    caption_source: string;
	    caption_sent: boolean;
	    thumb_url: string;
	
	    static createFrom(source: any = {}) {
	        return new DatasetItem(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.name = source["name"];
	        this.original_path = source["original_path"];
	        this.local_path = source["local_path"];
	        this.sha256 = source["sha256"];
	        this.size = source["size"];
	        this.state = source["state"];
	        this.caption = source["caption"];
	        this.caption_source = source["caption_source"];
	        this.caption_sent = source["caption_sent"];
	        this.thumb_url = source["thumb_url"];
	    }
	}
	export class DatasetState {
	    dataset_id: string;
	    status: string;
	    items: DatasetItem[];
	    report: number[];
	    min: number;
	    recommended_min: number;
	    recommended_max: number;
	    training: Gate;
	    caption_template: string;
	
	    static createFrom(source: any = {}) {
	        return new DatasetState(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.dataset_id = source["dataset_id"];
	        this.status = source["status"];
	        this.items = this.convertValues(source["items"], DatasetItem);
	        this.report = source["report"];
	        this.min = source["min"];
	        this.recommended_min = source["recommended_min"];
	        this.recommended_max = source["recommended_max"];
	        this.training = this.convertValues(source["training"], Gate);
	        this.caption_template = source["caption_template"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Erased {
	    photos: number;
	    loras: number;
	    server?: string;
	
	    static createFrom(source: any = {}) {
	        return new Erased(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.photos = source["photos"];
	        this.loras = source["loras"];
	        this.server = source["server"];
	    }
	}
	export class Exported {
	    path: string;
	    sha256?: string;
	    references: number;
	    platform_name?: string;
	
	    static createFrom(source: any = {}) {
	        return new Exported(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.path = source["path"];
	        this.sha256 = source["sha256"];
	        this.references = source["references"];
	        this.platform_name = source["platform_name"];
	    }
	}
	
	export class ImportFailed {
	    file: string;
	    reason: string;
	
	    static createFrom(source: any = {}) {
	        return new ImportFailed(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.file = source["file"];
	        this.reason = source["reason"];
	    }
	}
	export class ImportResult {
	    added: string[];
	    skipped: string[];
	    failed: ImportFailed[];
	
	    static createFrom(source: any = {}) {
	        return new ImportResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.added = source["added"];
	        this.skipped = source["skipped"];
	        this.failed = this.convertValues(source["failed"], ImportFailed);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Info {
	    version: string;
	    data_dir: string;
	    locale?: string;
	
	    static createFrom(source: any = {}) {
	        return new Info(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.version = source["version"];
	        this.data_dir = source["data_dir"];
	        this.locale = source["locale"];
	    }
	}
	export class InstallRequest {
	    version_id: string;
	    folder: string;
	    replace: boolean;
	
	    static createFrom(source: any = {}) {
	        return new InstallRequest(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.version_id = source["version_id"];
	        this.folder = source["folder"];
	        this.replace = source["replace"];
	    }
	}
	export class Installed {
	    path: string;
	    already: boolean;
	    app: string;
	    note?: string;
	    lora_name: string;
	    workflow_file?: string;
	
	    static createFrom(source: any = {}) {
	        return new Installed(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.path = source["path"];
	        this.already = source["already"];
	        this.app = source["app"];
	        this.note = source["note"];
	        this.lora_name = source["lora_name"];
	        this.workflow_file = source["workflow_file"];
	    }
	}
	export class LocalLoRA {
	    version_id: string;
	    filename: string;
	    path: string;
	    size: number;
	    sha256: string;
	    // Go type: time
	    downloaded_at: any;
	
	    static createFrom(source: any = {}) {
	        return new LocalLoRA(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.version_id = source["version_id"];
	        this.filename = source["filename"];
	        this.path = source["path"];
	        this.size = source["size"];
	        this.sha256 = source["sha256"];
	        this.downloaded_at = this.convertValues(source["downloaded_at"], null);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Preset {
	    rank: number;
	    steps: number;
	    learning_rate: number;
	    resolution: number;
	    trigger_word: string;
	    caption_template: string;
	
	    static createFrom(source: any = {}) {
	        return new Preset(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.rank = source["rank"];
	        this.steps = source["steps"];
	        this.learning_rate = source["learning_rate"];
	        this.resolution = source["resolution"];
	        this.trigger_word = source["trigger_word"];
	        this.caption_template = source["caption_template"];
	    }
	}
	export class ProfileSummary {
	    id: string;
	    name: string;
	    supports_lora: boolean;
	    status: string;
	    status_note: string;
	    checked: string;
	
	    static createFrom(source: any = {}) {
	        return new ProfileSummary(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.name = source["name"];
	        this.supports_lora = source["supports_lora"];
	        this.status = source["status"];
	        this.status_note = source["status_note"];
	        this.checked = source["checked"];
	    }
	}
	export class QueuedAction {
	    id: number;
	    kind: string;
	    what: string;
	    status: string;
	    attempts: number;
	    // Go type: time
	    next_attempt_at: any;
	    error?: string;
	    // Go type: time
	    created_at: any;
	
	    static createFrom(source: any = {}) {
	        return new QueuedAction(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.kind = source["kind"];
	        this.what = source["what"];
	        this.status = source["status"];
	        this.attempts = source["attempts"];
	        this.next_attempt_at = this.convertValues(source["next_attempt_at"], null);
	        this.error = source["error"];
	        this.created_at = this.convertValues(source["created_at"], null);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Selection {
	    target_platform: string;
	    base_model: string;
	
	    static createFrom(source: any = {}) {
	        return new Selection(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.target_platform = source["target_platform"];
	        this.base_model = source["base_model"];
	    }
	}
	export class SignInRequest {
	    server_url: string;
	    email: string;
	    password: string;
	    create: boolean;
	
	    static createFrom(source: any = {}) {
	        return new SignInRequest(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.server_url = source["server_url"];
	        this.email = source["email"];
	        this.password = source["password"];
	        this.create = source["create"];
	    }
	}
	export class TrainableModel {
	    id: string;
	    name: string;
	    preset: Preset;
	
	    static createFrom(source: any = {}) {
	        return new TrainableModel(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.name = source["name"];
	        this.preset = this.convertValues(source["preset"], Preset);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class TrainingCancel {
	    job?: wire.Job;
	    queued: boolean;
	
	    static createFrom(source: any = {}) {
	        return new TrainingCancel(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.job = this.convertValues(source["job"], wire.Job);
	        this.queued = source["queued"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class TrainingRequest {
	    base_model: string;
	    params?: number[];
	
	    static createFrom(source: any = {}) {
	        return new TrainingRequest(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.base_model = source["base_model"];
	        this.params = source["params"];
	    }
	}
	export class TrainingStart {
	    job?: wire.JobCreated;
	    queued: boolean;
	    message?: string;
	
	    static createFrom(source: any = {}) {
	        return new TrainingStart(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.job = this.convertValues(source["job"], wire.JobCreated);
	        this.queued = source["queued"];
	        this.message = source["message"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class ValidateOptions {
	    base_model: string;
	    min_resolution: number;
	
	    static createFrom(source: any = {}) {
	        return new ValidateOptions(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.base_model = source["base_model"];
	        this.min_resolution = source["min_resolution"];
	    }
	}
	export class Version {
	    id: string;
	    number: number;
	    base_model: string;
	    dataset_hash: string;
	    status: string;
	    // Go type: time
	    created_at: any;
	    active: boolean;
	    weight?: number;
	    download?: LocalLoRA;
	
	    static createFrom(source: any = {}) {
	        return new Version(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.number = source["number"];
	        this.base_model = source["base_model"];
	        this.dataset_hash = source["dataset_hash"];
	        this.status = source["status"];
	        this.created_at = this.convertValues(source["created_at"], null);
	        this.active = source["active"];
	        this.weight = source["weight"];
	        this.download = this.convertValues(source["download"], LocalLoRA);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class VersionList {
	    versions: Version[];
	    offline: boolean;
	
	    static createFrom(source: any = {}) {
	        return new VersionList(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.versions = this.convertValues(source["versions"], Version);
	        this.offline = source["offline"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}

}

export namespace compiler {
	
	export class Identity {
	    name?: string;
	    version?: string;
	    trigger?: string;
	    weight?: number;
	    describe?: string;
	    cameo?: string;
	
	    static createFrom(source: any = {}) {
	        return new Identity(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.name = source["name"];
	        this.version = source["version"];
	        this.trigger = source["trigger"];
	        this.weight = source["weight"];
	        this.describe = source["describe"];
	        this.cameo = source["cameo"];
	    }
	}
	export class Options {
	    size?: string;
	    aspect_ratio?: string;
	    resolution?: string;
	    duration_s?: number;
	    seed?: number;
	    references: number;
	
	    static createFrom(source: any = {}) {
	        return new Options(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.size = source["size"];
	        this.aspect_ratio = source["aspect_ratio"];
	        this.resolution = source["resolution"];
	        this.duration_s = source["duration_s"];
	        this.seed = source["seed"];
	        this.references = source["references"];
	    }
	}
	export class Params {
	    model: string;
	    size?: string;
	    width?: number;
	    height?: number;
	    aspect_ratio?: string;
	    resolution?: string;
	    duration_s?: number;
	    negative_prompt?: string;
	    seed?: number;
	    audio: boolean;
	    lora_weight?: number;
	
	    static createFrom(source: any = {}) {
	        return new Params(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.model = source["model"];
	        this.size = source["size"];
	        this.width = source["width"];
	        this.height = source["height"];
	        this.aspect_ratio = source["aspect_ratio"];
	        this.resolution = source["resolution"];
	        this.duration_s = source["duration_s"];
	        this.negative_prompt = source["negative_prompt"];
	        this.seed = source["seed"];
	        this.audio = source["audio"];
	        this.lora_weight = source["lora_weight"];
	    }
	}
	export class Prompt {
	    text?: string;
	    subject?: string;
	    action?: string;
	    scene?: string;
	    style?: string;
	    camera?: string;
	    lighting?: string;
	    dialogue?: string;
	    audio?: string;
	    negative?: string;
	
	    static createFrom(source: any = {}) {
	        return new Prompt(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.text = source["text"];
	        this.subject = source["subject"];
	        this.action = source["action"];
	        this.scene = source["scene"];
	        this.style = source["style"];
	        this.camera = source["camera"];
	        this.lighting = source["lighting"];
	        this.dialogue = source["dialogue"];
	        this.audio = source["audio"];
	        this.negative = source["negative"];
	    }
	}
	export class ReferencePlan {
	    count: number;
	    max: number;
	    role?: string;
	    binding: string;
	    upload: boolean;
	    tags?: string[];
	
	    static createFrom(source: any = {}) {
	        return new ReferencePlan(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.count = source["count"];
	        this.max = source["max"];
	        this.role = source["role"];
	        this.binding = source["binding"];
	        this.upload = source["upload"];
	        this.tags = source["tags"];
	    }
	}
	export class Request {
	    platform: string;
	    prompt: Prompt;
	    identity: Identity;
	    options: Options;
	
	    static createFrom(source: any = {}) {
	        return new Request(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.platform = source["platform"];
	        this.prompt = this.convertValues(source["prompt"], Prompt);
	        this.identity = this.convertValues(source["identity"], Identity);
	        this.options = this.convertValues(source["options"], Options);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Result {
	    platform: string;
	    platform_name: string;
	    kind: string;
	    model_id: string;
	    status: string;
	    status_note: string;
	    checked: string;
	    prompt: string;
	    prompt_chars: number;
	    prompt_max_chars: number;
	    lora_block?: string;
	    comfyui_workflow?: number[];
	    params: Params;
	    references: ReferencePlan;
	    warnings?: string[];
	
	    static createFrom(source: any = {}) {
	        return new Result(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.platform = source["platform"];
	        this.platform_name = source["platform_name"];
	        this.kind = source["kind"];
	        this.model_id = source["model_id"];
	        this.status = source["status"];
	        this.status_note = source["status_note"];
	        this.checked = source["checked"];
	        this.prompt = source["prompt"];
	        this.prompt_chars = source["prompt_chars"];
	        this.prompt_max_chars = source["prompt_max_chars"];
	        this.lora_block = source["lora_block"];
	        this.comfyui_workflow = source["comfyui_workflow"];
	        this.params = this.convertValues(source["params"], Params);
	        this.references = this.convertValues(source["references"], ReferencePlan);
	        this.warnings = source["warnings"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}

}

export namespace dataset {
	
	export class Box {
	    x: number;
	    y: number;
	    w: number;
	    h: number;
	
	    static createFrom(source: any = {}) {
	        return new Box(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.x = source["x"];
	        this.y = source["y"];
	        this.w = source["w"];
	        this.h = source["h"];
	    }
	}
	export class Finding {
	    code: string;
	    message: string;
	    files: string[];
	
	    static createFrom(source: any = {}) {
	        return new Finding(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.code = source["code"];
	        this.message = source["message"];
	        this.files = source["files"];
	    }
	}
	export class Issue {
	    code: string;
	    severity: string;
	    message: string;
	
	    static createFrom(source: any = {}) {
	        return new Issue(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.code = source["code"];
	        this.severity = source["severity"];
	        this.message = source["message"];
	    }
	}
	export class Item {
	    file: string;
	    format?: string;
	    sha256: string;
	    width: number;
	    height: number;
	    orientation?: number;
	    native_width?: number;
	    native_height?: number;
	    faces: number;
	    face_box?: Box;
	    face_scale?: number;
	    blur: number;
	    brightness?: number;
	    phash: string;
	    yaw: number;
	    pose: string;
	    pitch: number;
	    roll: number;
	    identity_distance?: number;
	    issues: Issue[];
	
	    static createFrom(source: any = {}) {
	        return new Item(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.file = source["file"];
	        this.format = source["format"];
	        this.sha256 = source["sha256"];
	        this.width = source["width"];
	        this.height = source["height"];
	        this.orientation = source["orientation"];
	        this.native_width = source["native_width"];
	        this.native_height = source["native_height"];
	        this.faces = source["faces"];
	        this.face_box = this.convertValues(source["face_box"], Box);
	        this.face_scale = source["face_scale"];
	        this.blur = source["blur"];
	        this.brightness = source["brightness"];
	        this.phash = source["phash"];
	        this.yaw = source["yaw"];
	        this.pose = source["pose"];
	        this.pitch = source["pitch"];
	        this.roll = source["roll"];
	        this.identity_distance = source["identity_distance"];
	        this.issues = this.convertValues(source["issues"], Issue);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class SetIdentity {
	    compared: number;
	    reference: string;
	    reference_box?: Box;
	    clear: boolean;
	    members: number;
	    others: string[];
	
	    static createFrom(source: any = {}) {
	        return new SetIdentity(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.compared = source["compared"];
	        this.reference = source["reference"];
	        this.reference_box = this.convertValues(source["reference_box"], Box);
	        this.clear = source["clear"];
	        this.members = source["members"];
	        this.others = source["others"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Spread {
	    min: number;
	    median: number;
	    max: number;
	
	    static createFrom(source: any = {}) {
	        return new Spread(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.min = source["min"];
	        this.median = source["median"];
	        this.max = source["max"];
	    }
	}
	export class Variety {
	    poses: {[key: string]: number};
	    unknown_pose: number;
	    face_scale: Spread;
	    brightness: Spread;
	
	    static createFrom(source: any = {}) {
	        return new Variety(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.poses = source["poses"];
	        this.unknown_pose = source["unknown_pose"];
	        this.face_scale = this.convertValues(source["face_scale"], Spread);
	        this.brightness = this.convertValues(source["brightness"], Spread);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Report {
	    ok: boolean;
	    image_count: number;
	    dataset_hash: string;
	    errors: Finding[];
	    warnings: Finding[];
	    items: Item[];
	    variety: Variety;
	    identity: SetIdentity;
	
	    static createFrom(source: any = {}) {
	        return new Report(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.ok = source["ok"];
	        this.image_count = source["image_count"];
	        this.dataset_hash = source["dataset_hash"];
	        this.errors = this.convertValues(source["errors"], Finding);
	        this.warnings = this.convertValues(source["warnings"], Finding);
	        this.items = this.convertValues(source["items"], Item);
	        this.variety = this.convertValues(source["variety"], Variety);
	        this.identity = this.convertValues(source["identity"], SetIdentity);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	
	

}

export namespace install {
	
	export class Folder {
	    app: string;
	    path: string;
	    note?: string;
	
	    static createFrom(source: any = {}) {
	        return new Folder(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.app = source["app"];
	        this.path = source["path"];
	        this.note = source["note"];
	    }
	}

}

export namespace localstore {
	
	export class Item {
	    id: string;
	    name: string;
	    original_path: string;
	    local_path: string;
	    sha256: string;
	    size: number;
	    state: string;
	    caption: string;
	    caption_source: string;
	    caption_sent: boolean;
	
	    static createFrom(source: any = {}) {
	        return new Item(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.name = source["name"];
	        this.original_path = source["original_path"];
	        this.local_path = source["local_path"];
	        this.sha256 = source["sha256"];
	        this.size = source["size"];
	        this.state = source["state"];
	        this.caption = source["caption"];
	        this.caption_source = source["caption_source"];
	        this.caption_sent = source["caption_sent"];
	    }
	}

}

export namespace outbox {
	
	export class Report {
	    sent: number;
	    failed: number;
	    waiting: number;
	
	    static createFrom(source: any = {}) {
	        return new Report(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.sent = source["sent"];
	        this.failed = source["failed"];
	        this.waiting = source["waiting"];
	    }
	}

}

export namespace studio {
	
	export class SampleParams {
	    steps: number;
	    guidance: number;
	    frames?: number;
	    fps?: number;
	
	    static createFrom(source: any = {}) {
	        return new SampleParams(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.steps = source["steps"];
	        this.guidance = source["guidance"];
	        this.frames = source["frames"];
	        this.fps = source["fps"];
	    }
	}
	export class AIToolkitSpec {
	    name_or_path: string;
	    arch?: string;
	    is_flux?: boolean;
	    quantize: boolean;
	    quantize_te?: boolean;
	    qtype?: string;
	    qtype_te?: string;
	    low_vram?: boolean;
	    assistant_lora_path?: string;
	    cache_text_embeddings?: boolean;
	    timestep_type?: string;
	    model_kwargs?: {[key: string]: any};
	    lora_suffix?: string;
	    sample: SampleParams;
	
	    static createFrom(source: any = {}) {
	        return new AIToolkitSpec(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.name_or_path = source["name_or_path"];
	        this.arch = source["arch"];
	        this.is_flux = source["is_flux"];
	        this.quantize = source["quantize"];
	        this.quantize_te = source["quantize_te"];
	        this.qtype = source["qtype"];
	        this.qtype_te = source["qtype_te"];
	        this.low_vram = source["low_vram"];
	        this.assistant_lora_path = source["assistant_lora_path"];
	        this.cache_text_embeddings = source["cache_text_embeddings"];
	        this.timestep_type = source["timestep_type"];
	        this.model_kwargs = source["model_kwargs"];
	        this.lora_suffix = source["lora_suffix"];
	        this.sample = this.convertValues(source["sample"], SampleParams);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class License {
	    name: string;
	    commercial_use?: boolean;
	    note: string;
	    url: string;
	
	    static createFrom(source: any = {}) {
	        return new License(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.name = source["name"];
	        this.commercial_use = source["commercial_use"];
	        this.note = source["note"];
	        this.url = source["url"];
	    }
	}
	export class Range {
	    min: number;
	    max: number;
	
	    static createFrom(source: any = {}) {
	        return new Range(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.min = source["min"];
	        this.max = source["max"];
	    }
	}
	export class BaseModel {
	    id: string;
	    name: string;
	    family: string;
	    kind: string;
	    trainers: string[];
	    resolution: number;
	    default_weight: number;
	    recommended_images: Range;
	    vram_class: string;
	    license: License;
	    checked: string;
	    sources: string[];
	    third_party_only: string[];
	    unconfirmed: string[];
	
	    static createFrom(source: any = {}) {
	        return new BaseModel(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.name = source["name"];
	        this.family = source["family"];
	        this.kind = source["kind"];
	        this.trainers = source["trainers"];
	        this.resolution = source["resolution"];
	        this.default_weight = source["default_weight"];
	        this.recommended_images = this.convertValues(source["recommended_images"], Range);
	        this.vram_class = source["vram_class"];
	        this.license = this.convertValues(source["license"], License);
	        this.checked = source["checked"];
	        this.sources = source["sources"];
	        this.third_party_only = source["third_party_only"];
	        this.unconfirmed = source["unconfirmed"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class CaptionRun {
	    status: string;
	    error?: string;
	    captioned: number;
	    // Go type: time
	    requested_at: any;
	    // Go type: time
	    finished_at?: any;
	
	    static createFrom(source: any = {}) {
	        return new CaptionRun(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.status = source["status"];
	        this.error = source["error"];
	        this.captioned = source["captioned"];
	        this.requested_at = this.convertValues(source["requested_at"], null);
	        this.finished_at = this.convertValues(source["finished_at"], null);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Sample {
	    index: number;
	    prompt: string;
	    url: string;
	    sha256: string;
	    size: number;
	    // Go type: time
	    expires_at: any;
	
	    static createFrom(source: any = {}) {
	        return new Sample(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.index = source["index"];
	        this.prompt = source["prompt"];
	        this.url = source["url"];
	        this.sha256 = source["sha256"];
	        this.size = source["size"];
	        this.expires_at = this.convertValues(source["expires_at"], null);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Checkpoint {
	    step: number;
	    sha256: string;
	    size: number;
	    final: boolean;
	    samples: Sample[];
	    version_id?: string;
	
	    static createFrom(source: any = {}) {
	        return new Checkpoint(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.step = source["step"];
	        this.sha256 = source["sha256"];
	        this.size = source["size"];
	        this.final = source["final"];
	        this.samples = this.convertValues(source["samples"], Sample);
	        this.version_id = source["version_id"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Identity {
	    user_id: string;
	    lora_model_id: string;
	    lora_version_id: string;
	    weight: number;
	    target_platform: string;
	    // Go type: time
	    updated_at: any;
	
	    static createFrom(source: any = {}) {
	        return new Identity(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.user_id = source["user_id"];
	        this.lora_model_id = source["lora_model_id"];
	        this.lora_version_id = source["lora_version_id"];
	        this.weight = source["weight"];
	        this.target_platform = source["target_platform"];
	        this.updated_at = this.convertValues(source["updated_at"], null);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	
	export class Platform {
	    id: string;
	    name: string;
	    vendor: string;
	    kind: string;
	
	    static createFrom(source: any = {}) {
	        return new Platform(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.name = source["name"];
	        this.vendor = source["vendor"];
	        this.kind = source["kind"];
	    }
	}
	export class Preset {
	    rank: number;
	    steps: number;
	    learning_rate: number;
	
	    static createFrom(source: any = {}) {
	        return new Preset(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.rank = source["rank"];
	        this.steps = source["steps"];
	        this.learning_rate = source["learning_rate"];
	    }
	}
	
	export class SDScriptsSpec {
	    name_or_path: string;
	
	    static createFrom(source: any = {}) {
	        return new SDScriptsSpec(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.name_or_path = source["name_or_path"];
	    }
	}
	

}

export namespace update {
	
	export class Manifest {
	    version: string;
	    url: string;
	    notes?: string;
	    published?: string;
	
	    static createFrom(source: any = {}) {
	        return new Manifest(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.version = source["version"];
	        this.url = source["url"];
	        this.notes = source["notes"];
	        this.published = source["published"];
	    }
	}
	export class Status {
	    enabled: boolean;
	    current: string;
	    url?: string;
	    // Go type: time
	    checked_at: any;
	    available?: Manifest;
	    note?: string;
	
	    static createFrom(source: any = {}) {
	        return new Status(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.enabled = source["enabled"];
	        this.current = source["current"];
	        this.url = source["url"];
	        this.checked_at = this.convertValues(source["checked_at"], null);
	        this.available = this.convertValues(source["available"], Manifest);
	        this.note = source["note"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}

}

export namespace upload {
	
	export class Stats {
	    bytes_total: number;
	    bytes_sent: number;
	    bytes_resent: number;
	    requests: number;
	    renewals: number;
	
	    static createFrom(source: any = {}) {
	        return new Stats(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.bytes_total = source["bytes_total"];
	        this.bytes_sent = source["bytes_sent"];
	        this.bytes_resent = source["bytes_resent"];
	        this.requests = source["requests"];
	        this.renewals = source["renewals"];
	    }
	}
	export class Result {
	    session: string;
	    dataset_id: string;
	    state: string;
	    validation?: wire.Validation;
	    run: Stats;
	    total: Stats;
	
	    static createFrom(source: any = {}) {
	        return new Result(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.session = source["session"];
	        this.dataset_id = source["dataset_id"];
	        this.state = source["state"];
	        this.validation = this.convertValues(source["validation"], wire.Validation);
	        this.run = this.convertValues(source["run"], Stats);
	        this.total = this.convertValues(source["total"], Stats);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}

}

export namespace wire {
	
	export class Job {
	    id: string;
	    version_id: string;
	    status: string;
	    progress: number;
	    logs_url: string;
	    error: string;
	    // Go type: time
	    created_at: any;
	    // Go type: time
	    updated_at: any;
	
	    static createFrom(source: any = {}) {
	        return new Job(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.version_id = source["version_id"];
	        this.status = source["status"];
	        this.progress = source["progress"];
	        this.logs_url = source["logs_url"];
	        this.error = source["error"];
	        this.created_at = this.convertValues(source["created_at"], null);
	        this.updated_at = this.convertValues(source["updated_at"], null);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class JobCreated {
	    job_id: string;
	    version_id: string;
	    status: string;
	
	    static createFrom(source: any = {}) {
	        return new JobCreated(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.job_id = source["job_id"];
	        this.version_id = source["version_id"];
	        this.status = source["status"];
	    }
	}
	export class JobLog {
	    log: string;
	    available: boolean;
	
	    static createFrom(source: any = {}) {
	        return new JobLog(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.log = source["log"];
	        this.available = source["available"];
	    }
	}
	export class Validation {
	    dataset_id: string;
	    status: string;
	    report?: dataset.Report;
	
	    static createFrom(source: any = {}) {
	        return new Validation(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.dataset_id = source["dataset_id"];
	        this.status = source["status"];
	        this.report = this.convertValues(source["report"], dataset.Report);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Version {
	    id: string;
	    model_id: string;
	    dataset_id: string;
	    number: number;
	    base_model: string;
	    params: number[];
	    dataset_hash: string;
	    status: string;
	    artifact_sha256?: string;
	    // Go type: time
	    created_at: any;
	
	    static createFrom(source: any = {}) {
	        return new Version(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.model_id = source["model_id"];
	        this.dataset_id = source["dataset_id"];
	        this.number = source["number"];
	        this.base_model = source["base_model"];
	        this.params = source["params"];
	        this.dataset_hash = source["dataset_hash"];
	        this.status = source["status"];
	        this.artifact_sha256 = source["artifact_sha256"];
	        this.created_at = this.convertValues(source["created_at"], null);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}

}

