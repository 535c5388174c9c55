export namespace app {
	
	export class Info {
	    version: string;
	    data_dir: string;
	
	    static createFrom(source: any = {}) {
	        return new Info(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.version = source["version"];
	        this.data_dir = source["data_dir"];
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

}

export namespace studio {
	
	export class BaseModel {
	    id: string;
	    name: string;
	    resolution: number;
	    default_weight: number;
	
	    static createFrom(source: any = {}) {
	        return new BaseModel(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.name = source["name"];
	        this.resolution = source["resolution"];
	        this.default_weight = source["default_weight"];
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

}

