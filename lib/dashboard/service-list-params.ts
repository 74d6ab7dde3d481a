/** The services list's own query parameters (besides the view's context): `q`, `type`, `disagreeing`, `page`. */
import { SERVICE_TYPES, type ServiceType } from "@/lib/server/queries/search-service-ports";
import { param, type SearchParams } from "./view-params";

export interface ServiceListParams {
  q: string;
  type: ServiceType | undefined;
  disagreeing: boolean;
  /** 1-based. */
  page: number;
}

/** Reads the filters; unknown values fall back to "no filter" so an old link still opens. */
export function readServiceListParams(params: SearchParams): ServiceListParams {
  const type = param(params, "type");
  const page = Number(param(params, "page") ?? "1");
  const disagreeing = param(params, "disagreeing");
  return {
    q: (param(params, "q") ?? "").trim().slice(0, 200),
    type: (SERVICE_TYPES as readonly string[]).includes(type ?? "") ? (type as ServiceType) : undefined,
    disagreeing: disagreeing === "1" || disagreeing === "true" || disagreeing === "on",
    page: Number.isInteger(page) && page >= 1 ? page : 1,
  };
}
