/**
 * The protobuf reflection root shipped by `@temporalio/proto`: the same codec the TS client uses,
 * so field names and shapes (camelCase, Long int64, Buffer bytes, numeric enums) match exactly.
 */
import * as protoRoot from '@temporalio/proto';
import type { Root } from 'protobufjs';

export { temporal, google } from '@temporalio/proto';

/** The reflection root, for looking up services and message types by full name. */
export const root = protoRoot as unknown as Root;
