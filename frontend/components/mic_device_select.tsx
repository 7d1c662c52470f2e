'use client';

import { useMediaDeviceSelect } from '@livekit/components-react';
import { useId } from 'react';

/** Chromium's entry that follows the system's default device. */
const DEFAULT_DEVICE_ID = 'default';

export function MicDeviceSelect({ onError }: { onError: (error: Error) => void }) {
  const id = useId();
  // No permission prompt of its own: the session's microphone asks once, and this list follows.
  const { devices, activeDeviceId, setActiveMediaDevice } = useMediaDeviceSelect({
    kind: 'audioinput',
    requestPermissions: false,
  });

  return (
    <div className="device-select">
      <label htmlFor={id} className="visually-hidden">
        Microphone device
      </label>
      <select
        id={id}
        data-testid="mic-device"
        value={activeDeviceId}
        onChange={(event) =>
          void setActiveMediaDevice(event.target.value).catch((error: unknown) =>
            onError(error instanceof Error ? error : new Error(String(error))),
          )
        }
      >
        {devices.length === 0 ? (
          <option value={activeDeviceId}>
            {activeDeviceId === DEFAULT_DEVICE_ID ? 'Default microphone' : 'Microphone'}
          </option>
        ) : (
          devices.map((device, index) => (
            <option key={device.deviceId} value={device.deviceId}>
              {device.label || `Microphone ${index + 1}`}
            </option>
          ))
        )}
      </select>
    </div>
  );
}
